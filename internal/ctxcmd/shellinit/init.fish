
# Short names: ectx = etcd-ctx, ectl = etcd-ctx etcdctl (etcdctl with the current context).
function ectx --wraps etcd-ctx --description 'etcd-ctx'
    etcd-ctx $argv
end
function ectl --wraps 'etcd-ctx etcdctl' --description 'etcd-ctx etcdctl'
    etcd-ctx etcdctl $argv
end

# etcd_ctx_prompt prints the context etcd-ctx commands use here, followed by *
# when $ETCD_CTX overrides the current context in this shell only. It costs at
# most one 'etcd-ctx current' (one small file read: no keyring, no network),
# and nothing at all under an override. Empty when there is no context.
function etcd_ctx_prompt --description 'the etcd-ctx context, * when $ETCD_CTX overrides it'
    if set -q ETCD_CTX; and test -n "$ETCD_CTX"
        printf '%s*' $ETCD_CTX
        return 0
    end
    set -l ctx (command etcd-ctx current 2>/dev/null); and printf '%s' $ctx
    return 0
end
{{- if .WrapEtcdctl}}

# Plain etcdctl goes through the current context ('command etcdctl' bypasses it).
function etcdctl --wraps etcdctl --description 'etcdctl with the etcd-ctx context'
    command etcd-ctx exec -- etcdctl $argv
end
{{- end}}
