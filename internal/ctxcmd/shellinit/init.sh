
# Short names: ectx = etcd-ctx, ectl = etcd-ctx etcdctl (etcdctl with the current context).
alias ectx='etcd-ctx'
alias ectl='etcd-ctx etcdctl'
{{- if eq .Shell "bash"}}
complete -F __etcd_ctx_complete ectx # bash does not complete through aliases
{{- end}}

# etcd_ctx_prompt prints the context etcd-ctx commands use here, followed by *
# when $ETCD_CTX overrides the current context in this shell only. It costs at
# most one 'etcd-ctx current' (one small file read: no keyring, no network),
# and nothing at all under an override. Empty when there is no context.
etcd_ctx_prompt() {
    if [ -n "${ETCD_CTX-}" ]; then
        printf '%s*' "$ETCD_CTX"
        return 0
    fi
    local ctx
    ctx=$(command etcd-ctx current 2>/dev/null) && printf '%s' "$ctx"
    return 0
}
{{- if .WrapEtcdctl}}

# Plain etcdctl goes through the current context ('command etcdctl' bypasses it).
etcdctl() { command etcd-ctx exec -- etcdctl "$@"; }
{{- end}}
