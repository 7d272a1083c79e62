# scripts/backup.sh after mysql-client: configuration, spool, logs, uploads and the database.

umask 077
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$backup_dir"
set -- "$config_dir" "$spool_dir" "$log_dir"
# Uploaded files, when they are kept outside the spool directory.
if [ -n "$upload_dir" ] && [ -d "$upload_dir" ]; then
    case "$upload_dir/" in "$spool_dir"/*) ;; *) set -- "$@" "$upload_dir" ;; esac
fi
tar -czf "$backup_dir/ejabberd-$stamp.tar.gz" "$@"
echo "wrote $backup_dir/ejabberd-$stamp.tar.gz"
if [ -n "$use_mysql" ]; then
    # Dump first and compress after, so a failing mysqldump stops the script (sh has no pipefail).
    dump="$backup_dir/$database-$stamp.sql"
    if [ -n "$client_options" ]; then
        mysqldump --defaults-file="$client_options" --host="$server" --port="$port" --single-transaction "$database" > "$dump"
    else
        mysqldump --host="$server" --port="$port" --single-transaction "$database" > "$dump"
    fi
    xz "$dump"
    echo "wrote $dump.xz"
fi
