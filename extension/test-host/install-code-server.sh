#!/usr/bin/env bash
# Installs code-server (VS Code's server and web workbench: the real extension host the test-host
# suite runs the extension in) from the npm registry alone, for machines whose only network is the
# npm registry and Debian's archive (VS Code's own download and the marketplace cannot be reached).
#
# usage: extension/test-host/install-code-server.sh
#   Installs into $PCONV_CODE_SERVER_CACHE (default ~/.cache/pconv-bench/code-server)/<version>,
#   once: a finished install is reused (CI can cache that folder), an unfinished one is redone.
#   Prints the path of the code-server executable as its only line on stdout; the log goes to stderr.
#
# needs: Node 20 (code-server 4.100.x is VS Code 1.100, the last line whose server runs on Node 20),
#   npm, and these Debian packages (node-gyp builds the server's native modules from source; Node's
#   headers come with the local Node):
#   apt-get install ripgrep libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config python3 make g++
set -euo pipefail

VERSION=4.100.3
CACHE=${PCONV_CODE_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pconv-bench/code-server}
PREFIX=$CACHE/$VERSION
BIN=$PREFIX/node_modules/.bin/code-server
DONE=$PREFIX/.installed

if [ -f "$DONE" ] && [ -x "$BIN" ]; then
  echo "code-server $VERSION already installed in $PREFIX" >&2
  echo "$BIN"
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  echo "code-server $VERSION needs Node 20 (its native modules are built for the Node that runs it); this is $(node -v)" >&2
  exit 1
fi
missing=()
for tool in rg pkg-config make g++ python3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
for lib in krb5-gssapi xkbfile libsecret-1 x11; do pkg-config --exists "$lib" 2>/dev/null || missing+=("$lib (pkg-config)"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing: ${missing[*]}" >&2
  echo "apt-get install ripgrep libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config python3 make g++" >&2
  exit 1
fi

# An unfinished earlier attempt (no marker): start over rather than patch it.
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
cd "$PREFIX"
# A package.json of its own, so npm installs here and not into an enclosing project.
echo '{ "private": true }' >package.json

# unsafe_perm: code-server's postinstall refuses to run as root without it (CI runs as root).
# yes: node-pty's install script runs `npx node-gyp`, which would otherwise ask before installing.
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# 1. The package without its scripts: one failing install script makes npm roll the whole tree back,
#    and argon2's fails here (it downloads a prebuilt binary from GitHub first).
npm install --ignore-scripts "code-server@$VERSION" >&2
# argon2 (code-server's password hashing; loaded at start even with --auth none): built from source.
npm rebuild argon2 --foreground-scripts >&2

# 2. VS Code's server dependencies (lib/vscode has its own package.json and lock), again without
#    scripts, then their native modules built in one go.
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts >&2
# @vscode/ripgrep's install script downloads rg from GitHub, and skips the download when bin/
# exists: Debian's ripgrep serves (VS Code's search and quick open run it).
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# node-gyp builds: kerberos, node-pty, spdlog, native-watchdog, @vscode/deviceid and the rest.
npm rebuild --foreground-scripts >&2

# 3. code-server's own postinstall: its npm install in lib/vscode finds everything in place; it
#    links the built-in extensions and checks the Node version, which it reads from the user agent
#    npm would have set.
cd ../..
npm_config_user_agent="npm/$(npm -v) node/$(node -v) linux x64" sh ./postinstall.sh >&2

# It runs. (XDG folders of its own: even --version writes a default
# config with a password to ~/.config/code-server otherwise.)
XDG_CONFIG_HOME="$PREFIX/.xdg/config" XDG_DATA_HOME="$PREFIX/.xdg/data" "$BIN" --version >&2
touch "$DONE"
echo "code-server $VERSION installed in $PREFIX" >&2
echo "$BIN"
