# scripts/install.sh building from the release tarball (Uberspace). No package manager here:
# the guard says before the build that the CAPTCHA cannot be drawn ($captcha_cmd is empty
# when the deployment draws none).

if [ -n "$captcha_cmd" ] && ! command -v convert >/dev/null 2>&1; then
    echo "$captcha_cmd draws CAPTCHAs with ImageMagick's convert, which this host does not have;" >&2
    echo "ask your hoster for ImageMagick, or choose security.registration: closed" >&2
    exit 1
fi

mkdir -p "$source_dir"
cd "$source_dir"
if [ ! -f "ejabberd-$version/configure.ac" ]; then
    wget -O "ejabberd-$version.tar.gz" "https://github.com/processone/ejabberd/archive/refs/tags/$version.tar.gz"
    tar xf "ejabberd-$version.tar.gz"
fi
cd "ejabberd-$version"
./autogen.sh
eval "set -- $configure_flags"
./configure --prefix="$prefix" "$@"
make
make install
echo "installed: $prefix/sbin/ejabberdctl"
