#!/usr/bin/env bash
# Janus, the media server (SFU) of medverse's `sfu` media mode (docs/janus.md), for development
# and the tests: installs Debian's `janus` when missing (as root), writes a minimal configuration
# of its own into a directory and starts it in the background; prints its pid.
#
#   bash scripts/janus.sh [start] [DIR] [--port 8188] [--api-secret S] [--ice eth0] [--rtp-ports 20000-40000]
#   bash scripts/janus.sh stop [DIR]
#   bash scripts/janus.sh config [DIR] [options]     write the configuration only
#   bash scripts/janus.sh install                     install Debian's janus only
#
# DIR defaults to data/janus. The configuration loads only the WebSocket transport, bound to
# 127.0.0.1:PORT (no HTTP API, no admin API), and only the videoroom and audiobridge plugins.
# ICE candidates are gathered on the interfaces or addresses of --ice only (a comma-separated list
# of interface names or address prefixes), by default on every IPv4 interface but virtual bridges.
# Janus never gathers on the loopback interface: a browser on the same machine reaches it on the
# machine's own LAN address.
# Re-running start while this DIR's Janus runs prints its pid and changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[janus]\033[0m %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    say "missing system packages: $* (run as root or install them with apt-get)"; return 1
  fi
  if [ ! -f /var/lib/apt/periodic/medverse-updated ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    apt-get update -qq && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/medverse-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_installed() {
  if ! command -v janus >/dev/null 2>&1; then
    say "installing Debian's janus"
    apt_install janus || { say "janus is not installed and cannot be installed here"; exit 3; }
  fi
}

CMD=start
case "${1:-}" in
  start|stop|config|install) CMD=$1; shift ;;
esac
DIR=data/janus
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then DIR=$1; shift; fi
PORT=${JANUS_PORT:-8188}
SECRET=${JANUS_API_SECRET:-}
ICE=${JANUS_ICE:-}
RTP_PORTS=${JANUS_RTP_PORTS:-20000-40000}
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT=$2; shift 2 ;;
    --api-secret) SECRET=$2; shift 2 ;;
    --ice) ICE=$2; shift 2 ;;
    --rtp-ports) RTP_PORTS=$2; shift 2 ;;
    *) say "unknown option: $1"; exit 2 ;;
  esac
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PIDFILE=$DIR/janus.pid

running_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -qa janus "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

libdir() {  # where Debian put the plugins and transports (multiarch)
  local so
  so=$(ls /usr/lib/*/janus/plugins/libjanus_videoroom.so /usr/lib/janus/plugins/libjanus_videoroom.so 2>/dev/null | head -1)
  [ -n "$so" ] || { say "janus's videoroom plugin was not found"; exit 3; }
  dirname "$(dirname "$so")"
}

write_config() {
  local lib
  lib=$(libdir)
  # only what is linked here is loaded: Janus loads every library of its plugin/transport folders
  rm -rf "$DIR/plugins" "$DIR/transports" "$DIR/events" "$DIR/loggers"
  mkdir -p "$DIR/plugins" "$DIR/transports" "$DIR/events" "$DIR/loggers"
  ln -s "$lib/plugins/libjanus_videoroom.so" "$DIR/plugins/"
  ln -s "$lib/plugins/libjanus_audiobridge.so" "$DIR/plugins/"
  ln -s "$lib/transports/libjanus_websockets.so" "$DIR/transports/"
  local secret_line="" ice_line='	ice_ignore_list = "vmnet,docker,veth,br-,virbr"'
  [ -n "$ICE" ] && ice_line="	ice_enforce_list = \"$ICE\""
  [ -n "$SECRET" ] && secret_line="	api_secret = \"$SECRET\""
  umask 077
  cat > "$DIR/janus.jcfg" <<EOF
# written by scripts/janus.sh; rewritten at each start
general: {
	configs_folder = "$DIR"
	plugins_folder = "$DIR/plugins"
	transports_folder = "$DIR/transports"
	events_folder = "$DIR/events"
	loggers_folder = "$DIR/loggers"
	debug_level = 3
	server_name = "medverse"
	session_timeout = 60
	hide_dependencies = true
$secret_line
}
certificates: {
}
media: {
	ipv6 = false
	rtp_port_range = "$RTP_PORTS"
}
nat: {
	nice_debug = false
$ice_line
}
plugins: {
}
transports: {
	disable = "libjanus_http.so,libjanus_pfunix.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_rabbitmq.so"
}
loggers: {
}
events: {
	broadcast = false
}
EOF
  cat > "$DIR/janus.transport.websockets.jcfg" <<EOF
general: {
	json = "plain"
	ws = true
	ws_port = $PORT
	ws_ip = "127.0.0.1"
	wss = false
	ws_logging = "err,warn"
}
admin: {
	admin_ws = false
	admin_wss = false
}
EOF
  # rooms are created through the API by medverse, none from configuration
  printf 'general: {\n}\n' > "$DIR/janus.plugin.videoroom.jcfg"
  printf 'general: {\n}\n' > "$DIR/janus.plugin.audiobridge.jcfg"
}

wait_port() {  # until 127.0.0.1:PORT accepts connections, or the process died
  local pid=$1 i
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

case "$CMD" in
  install)
    ensure_installed ;;
  config)
    ensure_installed
    write_config
    say "configuration written to $DIR" ;;
  stop)
    if pid=$(running_pid); then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
      say "stopped janus (pid $pid)"
    fi
    rm -f "$PIDFILE" ;;
  start)
    if pid=$(running_pid); then echo "$pid"; exit 0; fi
    ensure_installed
    write_config
    : > "$DIR/janus.log"
    setsid janus --config="$DIR/janus.jcfg" --configs-folder="$DIR" --log-file="$DIR/janus.log" \
      --disable-stdout --disable-colors </dev/null >/dev/null 2>&1 &
    pid=$!
    echo "$pid" > "$PIDFILE"
    if ! wait_port "$pid"; then
      say "janus did not start (log: $DIR/janus.log)"
      tail -20 "$DIR/janus.log" >&2 || true
      kill "$pid" 2>/dev/null || true
      rm -f "$PIDFILE"
      exit 1
    fi
    echo "$pid" ;;
esac
