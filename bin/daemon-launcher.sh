# Sourced by the daemon bins and bin/cpuidctl. Runs the compiled entry from
# dist/ (built by `npm run build`, which `npm install` runs) when it is newer
# than every TypeScript source it is built from, else the sources themselves
# through Node's type stripping. Compiled code skips the type-stripping WASM
# (~18 MB per process, and its start-up when Node's compile cache is cold).
# The container image and the agent's package ship dist/ without sources; the
# image has no node_modules/.bin/node and runs the base image's node.
# usage: launch <entry without extension> <node flags> <extra flags for compiled code> -- args…
root=$(dirname "$(dirname "$(readlink -f "$0")")")
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node=node

compiled_is_current() {
  [ -f "$root/dist/.built" ] || return 1
  [ -d "$root/agent" ] || return 0
  [ -z "$(find "$root/agent" "$root/cli" "$root/controller" "$root/runtime" "$root/shared" -name '*.ts' -newer "$root/dist/.built" -print -quit)" ]
}

launch() {
  entry=$1
  flags=$2
  compiled_flags=$3
  shift 4
  # shellcheck disable=SC2086
  if compiled_is_current; then
    exec "$node" $flags $compiled_flags "$root/dist/$entry.js" "$@"
  fi
  # shellcheck disable=SC2086
  exec "$node" $flags "$root/$entry.ts" "$@"
}
