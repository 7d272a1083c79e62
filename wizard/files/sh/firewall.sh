# scripts/firewall.sh: the active firewall (ufw or nftables) lets exactly the deployment's ports in.

# Lets exactly this deployment's ports through the firewall that is active here, and keeps them open
# after a reboot: ufw (its own rules, which it loads at boot), or nftables where an input chain drops by
# default (the rules go into that chain: an accept in a table of its own would not override its drop).
# Running it again changes nothing; after a change of ports it removes the rules of the old ones.
if [ "$(id -u)" -ne 0 ]; then
    echo "run this as root (sudo sh $0)" >&2
    exit 1
fi

# "80 443 49152-65535" as the elements of an nft set: "80, 443, 49152-65535".
nft_set() {
    echo "$1" | sed 's/ \{1,\}/, /g'
}

ufw_active() {
    command -v ufw >/dev/null 2>&1 && ufw status 2>/dev/null | grep -q '^Status: active'
}

# The base chains hooked at input whose policy is drop, one "family table chain" a line.
dropping_chains() {
    if command -v nft >/dev/null 2>&1; then
        nft list chains 2>/dev/null | awk '
            $1 == "table" { family = $2; table = $3 }
            $1 == "chain" { chain = $2 }
            /hook input/ && /policy drop/ { print family, table, chain }'
    fi
}

opened=""
# shellcheck disable=SC2086 # the lists of ports are meant to be split (digits and dashes only)
if ufw_active; then
    wanted=""
    for port in $tcp_ports; do wanted="$wanted $(echo "$port" | tr - :)/tcp"; done
    for port in $udp_ports; do wanted="$wanted $(echo "$port" | tr - :)/udp"; done
    # What an earlier run added for ports this deployment no longer uses.
    earlier=$(ufw show added | sed -n "s|^ufw allow \([0-9:]*/[a-z]*\) comment '$comment'\$|\1|p")
    for rule in $earlier; do
        case "$wanted " in
            *" $rule "*) ;;
            *) ufw --force delete allow "$rule" ;;
        esac
    done
    for rule in $wanted; do
        ufw allow "$rule" comment "$comment"
    done
    echo "ufw lets in TCP $(nft_set "$tcp_ports")${udp_ports:+ and UDP $(nft_set "$udp_ports")}" \
        "(rules with the comment $comment, which ufw loads at boot)"
    opened="ufw"
fi

# nftables: the chains that drop, but not iptables' (INPUT, which iptables-nft shows to nft too).
chains=""
iptables_drops=""
for chain in $(dropping_chains | tr ' ' ':'); do
    case "$chain" in
        *:INPUT) iptables_drops="${iptables_drops:-$chain}" ;;
        *) chains="$chains $chain" ;;
    esac
done

if [ -n "$chains" ]; then
    rules=""
    removed=$(mktemp)
    trap 'rm -f "$removed"' EXIT
    for chain in $chains; do
        where=$(echo "$chain" | tr ':' ' ')
        if [ -n "$udp_ports" ]; then
            rules="${rules}insert rule $where udp dport { $(nft_set "$udp_ports") } accept comment \"$comment\"
"
        fi
        rules="${rules}insert rule $where tcp dport { $(nft_set "$tcp_ports") } accept comment \"$comment\"
"
        # shellcheck disable=SC2086 # family, table and chain
        nft -a list chain $where | sed -n "s/.* comment \"$comment\" # handle \([0-9][0-9]*\)\$/\1/p" |
            while read -r handle; do echo "delete rule $where handle $handle"; done >> "$removed"
    done
    # One transaction removes the rules of an earlier run and adds this deployment's.
    { cat "$removed"; printf '%s' "$rules"; } | nft -f -
    echo "nftables lets in TCP $(nft_set "$tcp_ports")${udp_ports:+ and UDP $(nft_set "$udp_ports")}" \
        "(chain$(echo "$chains" | tr ':' ' '))"

    # And after a reboot: the rules in a file of their own, which $nft_conf (what the nftables service
    # loads at boot) includes at its end, after the tables it adds them to. nft checks the whole before.
    mkdir -p "$(dirname "$nft_file")"
    if [ -f "$nft_file" ]; then cp -p "$nft_file" "$nft_file.old"; fi
    {
        echo "# The ports of the ejabberd deployment, written by its scripts/firewall.sh (ejabberd-wizard):"
        echo "# run that again rather than editing. Included at the end of $nft_conf."
        printf '%s' "$rules"
    } > "$nft_file"
    include="include \"$nft_file\" # $comment: the ports of the XMPP server"
    if [ -f "$nft_conf" ]; then
        cp -p "$nft_conf" "$nft_conf.new"
        grep -qxF "$include" "$nft_conf" || echo "$include" >> "$nft_conf.new"
    fi
    if [ -f "$nft_conf.new" ] && nft -c -f "$nft_conf.new"; then
        rm -f "$nft_file.old"
        if ! cmp -s "$nft_conf.new" "$nft_conf"; then
            backup="$nft_conf.bak-$(date +%Y%m%d-%H%M%S)"
            cp -p "$nft_conf" "$backup"
            mv -f "$nft_conf.new" "$nft_conf"
            echo "$nft_conf now includes $nft_file (backup: $backup)"
        fi
        rm -f "$nft_conf.new"
        echo "kept for the next boot in $nft_file"
        if command -v systemctl >/dev/null 2>&1 && ! systemctl is-enabled --quiet nftables 2>/dev/null; then
            echo "but the nftables service is not enabled, so nothing loads $nft_conf at boot:" \
                "systemctl enable nftables, if that is how this firewall is meant to start" >&2
        fi
    else
        rm -f "$nft_conf.new"
        if [ -f "$nft_file.old" ]; then mv -f "$nft_file.old" "$nft_file"; else rm -f "$nft_file"; fi
        echo "the rules are in place until the next reboot only: $nft_conf is missing or does not define" \
            "the chains that drop, so they cannot be kept there. Add these lines where your rules are" \
            "loaded from at boot:" >&2
        printf '%s' "$rules" >&2
        exit 1
    fi
    opened="${opened:+$opened and }nftables"
fi

if [ -z "$opened" ] && [ -n "$iptables_drops" ]; then
    echo "iptables drops incoming connections here (chain $(echo "$iptables_drops" | tr ':' ' ')): nothing" \
        "changed. Let in TCP $(nft_set "$tcp_ports")${udp_ports:+ and UDP $(nft_set "$udp_ports")} with iptables," \
        "and save the rules where they are loaded from at boot" >&2
    exit 1
fi
if [ -z "$opened" ]; then
    echo "no active firewall here (ufw is not active, no nftables input chain drops by default): nothing changed."
    echo "A firewall started later must let in TCP $(nft_set "$tcp_ports")${udp_ports:+ and UDP $(nft_set "$udp_ports")}."
fi
