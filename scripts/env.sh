# shellcheck shell=bash
# Source this file (every script of the project does; users may too: `source scripts/env.sh`).
# It sets up a Pulumi environment that is local to this checkout and never asks for an account:
#
#   PATH                 $ROOT/.tools/bin first (node, pulumi, its language host and plugins, kind)
#   PULUMI_HOME          $ROOT/.tools/pulumi-home: plugins and `pulumi login` state live in the
#                        project, so the user's ~/.pulumi (their own login, their plugins) is
#                        never touched. Set PULUMI_HOME yourself to use another one.
#   PULUMI_BACKEND_URL   file://$ROOT/.pulumi-state (state files, git-ignored). No Pulumi Cloud.
#   secrets              passphrase provider. If neither PULUMI_CONFIG_PASSPHRASE nor
#                        PULUMI_CONFIG_PASSPHRASE_FILE is set, a random passphrase is generated
#                        once in $ROOT/.pulumi-state/passphrase (mode 600) and used through
#                        PULUMI_CONFIG_PASSPHRASE_FILE. Keep that file with the state: without
#                        it the stacks' secrets cannot be decrypted.
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true, PULUMI_SKIP_UPDATE_CHECK=true: the engine
#                        never downloads anything.
#
# It only sets variables (and creates the passphrase file the first time); it does not exit or
# change shell options, so it is safe to source from an interactive shell.

AGENT_STORAGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

case ":$PATH:" in
  *":$AGENT_STORAGE_ROOT/.tools/bin:"*) ;;
  *) PATH="$AGENT_STORAGE_ROOT/.tools/bin:$PATH" ;;
esac
export PATH

export PULUMI_HOME="${PULUMI_HOME:-$AGENT_STORAGE_ROOT/.tools/pulumi-home}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$AGENT_STORAGE_ROOT/.pulumi-state}"
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
# The file backend's own nag about the legacy layout; nothing to act on for a new state dir.
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true

if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  _as_pass="$AGENT_STORAGE_ROOT/.pulumi-state/passphrase"
  if [ ! -s "$_as_pass" ]; then
    mkdir -p "$AGENT_STORAGE_ROOT/.pulumi-state"
    ( umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$_as_pass" && echo >>"$_as_pass" )
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$_as_pass"
  unset _as_pass
fi
