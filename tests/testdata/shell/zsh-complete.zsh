# zsh -f zsh-complete.zsh SETUP LINE
#
# Prints, one per line, the matches zsh's own completion system offers for
# LINE (cursor at the end) in an interactive zsh that ran compinit and SETUP.
# The shell runs in a pseudo-terminal (zsh/zpty) and a <TAB> is typed; a
# compadd wrapper reports the matches it is given (the technique of
# github.com/Valodim/zsh-capture-completion, reduced to what the tests need).
zmodload zsh/zpty || exit 2
zpty z zsh -f -i
zpty -w z 'PROMPT= RPROMPT= PS2=; unsetopt zle_bracketed_paste 2>/dev/null'
zpty -w z 'autoload -Uz compinit && compinit -u -D'
zpty -w z "$1"
zpty -w z 'bindkey "^I" complete-word; zstyle ":completion:*" insert-tab false'
zpty -w z '__cap_mark() { print -r -- "<<CAPTURE>>" }; compprefuncs=( __cap_mark ); comppostfuncs=( __cap_mark exit )'
# Calls that only compute matches (-O, -A, -D) pass through; the others are
# the real additions: report what survives matching, then add them.
zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a __hits; builtin compadd -A __hits "$@"; (( ${#__hits} )) && print -rl -- "${__hits[@]/#/<<HIT>>}"; builtin compadd "$@"; }'
zpty -w z 'print -r -- "<<READY>>"'
local line
while zpty -r z line; do
    [[ $line == *'<<READY>>'* && $line != *print* ]] && break
done
zpty -w -n z "$2"$'\t'
integer marks=0
while zpty -r z line; do
    [[ $line == *'<<CAPTURE>>'* ]] && { (( ++marks == 2 )) && break; continue; }
    [[ $line == *'<<HIT>>'* ]] && print -r -- "${${line#*<<HIT>>}%%$'\r'*}"
done
zpty -d z
