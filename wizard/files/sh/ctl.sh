# The function ctl: ejabberdctl run against exactly the directories this deployment uses
# (deploy.sh, register-admin.sh, upgrade.sh).

ctl() {
    "$ejabberdctl" --config-dir "$config_dir" --spool "$spool_dir" --logs "$log_dir" "$@"
}
