#!/usr/bin/env bash
# Regenerates crates/koho-dict/dict/ipadic-utf8.tar.zst and
# crates/koho-dict/dict/IPADIC-COPYRIGHT from Debian's `mecab-ipadic` package.
#
# Needs: apt-get, dpkg, iconv, tar (GNU), zstd, sha256sum. Run as a user that
# may run `apt-get download` (no root needed for `download` itself, but the
# package lists must be current: run `apt-get update` first if unsure).
#
#   crates/koho-dict/dict/regenerate.sh            # latest mecab-ipadic in apt
#   IPADIC_VERSION=2.7.0-20070801+main-3 crates/koho-dict/dict/regenerate.sh
#
# The output is reproducible for a given package version: file order, owners
# and mtimes inside the tarball are fixed, so an unchanged source gives a
# byte-identical tarball and no diff to commit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 755 "$work" # lets apt's sandbox user write the download there

pkg="mecab-ipadic"
if [[ -n "${IPADIC_VERSION:-}" ]]; then
    pkg="mecab-ipadic=${IPADIC_VERSION}"
fi

cd "$work"
apt-get download "$pkg"
deb="$(ls ./mecab-ipadic_*.deb)"
version="$(dpkg-deb --field "$deb" Version)"
dpkg -x "$deb" root

src="root/usr/share/mecab/dic/ipadic"
top="mecab-ipadic-${version//+/_}-utf8"
mkdir -p "$top"

# The dictionary sources are EUC-JP; lindera is told they are UTF-8.
for f in "$src"/*.csv "$src"/*.def "$src"/dicrc; do
    name="$(basename "$f")"
    iconv -f EUC-JP -t UTF-8 "$f" > "$top/$name"
done
sed -i 's/^config-charset = EUC-JP$/config-charset = UTF-8/' "$top/dicrc"

cp root/usr/share/doc/mecab-ipadic/copyright "$top/COPYRIGHT"
printf 'Debian package mecab-ipadic %s, converted from EUC-JP to UTF-8.\n' \
    "$version" > "$top/SOURCE"

tar --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime='2007-08-01 00:00:00Z' --format=ustar \
    -cf ipadic-utf8.tar "$top"
# Default window (no --long): the build script decodes with ruzstd.
zstd -q -19 -T1 -f ipadic-utf8.tar -o ipadic-utf8.tar.zst

cp ipadic-utf8.tar.zst "$here/ipadic-utf8.tar.zst"
cp root/usr/share/doc/mecab-ipadic/copyright "$here/IPADIC-COPYRIGHT"
printf '%s\n' "$version" > "$here/IPADIC-VERSION"

ls -l "$here/ipadic-utf8.tar.zst"
sha256sum "$here/ipadic-utf8.tar.zst"
echo "mecab-ipadic $version -> $here/ipadic-utf8.tar.zst"
