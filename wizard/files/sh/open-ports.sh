# scripts/open-ports.sh (Uberspace): open as many ports as the deployment needs, then say
# which numbers Uberspace chose.

eval "set -- $configured"
needed=$#
missing=0
for port in "$@"; do
    if ! uberspace port list | grep -qx "$port"; then missing=$((missing + 1)); fi
done
if [ "$missing" -eq 0 ]; then
    echo "all $needed ports of this deployment are open: $configured"
    exit 0
fi
open=$(uberspace port list | wc -l)
while [ "$open" -lt "$needed" ]; do
    uberspace port add
    open=$((open + 1))
done
echo
echo "Uberspace chose these numbers. Put them into wizard.yml (ports:), then run"
echo "'ejabberd-wizard generate --out .' and this script again (the first $needed open ports are"
echo "shown: skip one that another service of yours uses):"
eval "set -- $fields"
for port in $(uberspace port list | head -n "$needed"); do
    echo "  $1: $port"
    shift
done
exit 3
