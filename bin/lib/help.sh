# Sourced by the launch scripts: answers -h/--help from bin/lib/help/ before anything is built
# (HelpTextsTest keeps those files what each entry point's own --help prints).
answer_help() { # answer_help FILE ARG...
  local file=$1
  shift
  local arg
  for arg in "$@"; do
    case "$arg" in
      -h | --help) cat "$file"; exit 0 ;;
    esac
  done
}
