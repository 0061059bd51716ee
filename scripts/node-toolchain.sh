# Source this file (bash): it puts a Node.js that package.json's engines accept
# first on PATH. If the machine's own `node` is recent enough it does nothing;
# otherwise it installs the version pinned in .nvmrc from the npm registry's
# `node-linux-<arch>` package (the official build, shipped inside a registry
# package, so nothing else is downloaded) into ./.toolchain and uses that.
#   . scripts/node-toolchain.sh
# With NODE_TOOLCHAIN_EXACT=1 (CI, the local Docker image) the machine's own
# `node` is used only if it is exactly the .nvmrc version.
# Dependencies: bash, npm (any version: it only unpacks one package).

node_toolchain_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node_toolchain_want="$(tr -d ' \n\r' <"$node_toolchain_root/.nvmrc")"

# The oldest Node each supported major line accepts (package.json engines).
node_toolchain_ok() {
  "$1" -e '
    const [maj, min] = process.versions.node.split(".").map(Number);
    const ok = (maj === 22 && min >= 22) || (maj === 24 && min >= 15) || maj >= 26;
    process.exit(ok ? 0 : 1);
  ' 2>/dev/null
}

if command -v node >/dev/null 2>&1 && node_toolchain_ok node \
  && { [ "${NODE_TOOLCHAIN_EXACT:-}" != 1 ] || [ "$(node --version)" = "v$node_toolchain_want" ]; }; then
  :
else
  case "$(uname -m)" in
    x86_64) node_toolchain_arch=x64 ;;
    aarch64) node_toolchain_arch=arm64 ;;
    *) echo "node-toolchain: no node-linux package for $(uname -m); install Node $node_toolchain_want yourself" >&2; return 1 ;;
  esac
  node_toolchain_pkg="node-linux-$node_toolchain_arch"
  node_toolchain_dir="$node_toolchain_root/.toolchain"
  node_toolchain_bin="$node_toolchain_dir/node_modules/$node_toolchain_pkg/bin"
  if [ ! -x "$node_toolchain_bin/node" ] || [ "$("$node_toolchain_bin/node" --version)" != "v$node_toolchain_want" ]; then
    echo "node-toolchain: $(node --version 2>/dev/null || echo 'no node') is not what is wanted; installing Node $node_toolchain_want into .toolchain" >&2
    mkdir -p "$node_toolchain_dir"
    npm install --no-save --no-package-lock --no-audit --no-fund --prefix "$node_toolchain_dir" \
      "$node_toolchain_pkg@$node_toolchain_want" >/dev/null
  fi
  export PATH="$node_toolchain_bin:$PATH"
  node_toolchain_ok node || { echo "node-toolchain: $(node --version) still does not satisfy the engines" >&2; return 1; }
fi
