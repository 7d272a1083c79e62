# scripts/upgrade.sh after ctl: every step of the upgrade in order. Each '# piece: NAME' line
# is replaced by the piece the wizard chose (upgrade-stop-*, upgrade-install-*).

here=$(cd "$(dirname "$0")/.." && pwd)

if [ -n "$schema_changes" ] && grep -Eqi '^update_sql_schema:[[:space:]]*false([^[:alnum:]_]|$)' \
        "$here/config/ejabberd.yml"; then
    echo "the MySQL schema changes of $schema_changes are needed, and config/ejabberd.yml turns" \
         "update_sql_schema off: nothing was done (see UPGRADE.md, step 4)" >&2
    exit 1
fi

echo "1. backup of ejabberd $old_release"
sh "$here/scripts/backup.sh"
echo "2. stop ejabberd $old_release"
# piece: stop
echo "3. install ejabberd $new_release"
# piece: install
echo "4. start ejabberd $new_release with the config written for it"
sh "$here/scripts/deploy.sh"
echo "5. check"
ctl status
echo "upgraded to ejabberd $new_release; now run: ejabberd-wizard check --out $here"
