# Sourced by the daemon bins and bin/cpuidctl. Runs the compiled entry from
# dist/ (built by `npm run build`, which `npm install` runs) when it is newer
# than every TypeScript source it is built from, else the sources themselves
# through Node's type stripping. Compiled code skips the type-stripping WASM
# (~18 MB per process, and its start-up when Node's compile cache is cold).
# An entry bundled at build time (scripts/bundle-cli.ts) runs as
# dist/<entry>.bundle.cjs and lists its sources in dist/<entry>.inputs.
# The container image and the agent's package ship dist/ without sources; the
# image has no node_modules/.bin/node and runs the base image's node.
# Nothing here forks (each fork and exec of a tool cost cpuidctl several
# milliseconds of CPU); the bin sets $self to its own path, symlinks resolved:
#   self=$0
#   [ -L "$self" ] && self=$(readlink -f "$self")
#   case $self in */*) ;; *) self=./$self ;; esac
#   . "${self%/*}/daemon-launcher.sh"
# usage: launch <entry without extension> <node flags> <extra flags for compiled code> -- args…
root=${self%/*}/..
node="$root/node_modules/.bin/node"
[ -x "$node" ] || node=node

# usage: compiled_is_current <entry>
compiled_is_current() {
  [ -f "$root/dist/.built" ] || return 1
  [ -d "$root/agent" ] || return 0
  if [ -f "$root/dist/$1.inputs" ]; then
    while IFS= read -r source; do
      [ "$root/$source" -nt "$root/dist/.built" ] && return 1
    done <"$root/dist/$1.inputs"
    return 0
  fi
  [ -z "$(find "$root/agent" "$root/cli" "$root/controller" "$root/runtime" "$root/shared" -name '*.ts' -newer "$root/dist/.built" -print -quit)" ]
}

launch() {
  entry=$1
  flags=$2
  compiled_flags=$3
  shift 4
  compiled="$root/dist/$entry.js"
  [ -f "$root/dist/$entry.inputs" ] && compiled="$root/dist/$entry.bundle.cjs"
  # shellcheck disable=SC2086
  if compiled_is_current "$entry"; then
    exec "$node" $flags $compiled_flags "$compiled" "$@"
  fi
  # shellcheck disable=SC2086
  exec "$node" $flags "$root/$entry.ts" "$@"
}
