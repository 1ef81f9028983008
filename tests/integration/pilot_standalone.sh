#!/bin/sh
# pilot_standalone: sextant-pilot as a drop-in for the Aleph Zero container
# monitor: no config file, only that monitor's environment variables
# (CONTAINER_NAME, RPC_URL, CHECK_INTERVAL, BLOCK_LAG_20, BLOCK_LAG_100) and
# DOCKER_HOST, against a simnode container in podman.  The monitor's
# thresholds keep their meaning ("more than" BLOCK_LAG_20 / BLOCK_LAG_100),
# and the node's height comes from its log lines.
TEST_NAME=pilot_standalone
PILOT_PODMAN_SETUP_ONLY=1
. tests/integration/pilot_podman.sh

node_container aleph-node
HTTP=$(free_port)
mkdir -p "$T/empty"
# run where no pilot.ini is: the default path must not exist either
[ -e /etc/sextant/pilot.ini ] &&
	echo "# /etc/sextant/pilot.ini exists: the environment mode is not used"

# -n shows what the environment gives
(cd "$T/empty" && env CONTAINER_NAME=aleph-node \
	RPC_URL="ws://127.0.0.1:$REF" CHECK_INTERVAL=1 BLOCK_LAG_20=5 \
	BLOCK_LAG_100=30 DOCKER_HOST="unix://$SOCK" \
	SEXTANT_HTTP_LISTEN="127.0.0.1:$HTTP" \
	"$B/sextant-pilot" -nv >"$T/nv.out" 2>&1)
check env_config_accepted grep -qx 'backend = docker' "$T/nv.out"
check env_container_is_target grep -qx 'target = aleph-node' "$T/nv.out"
check env_ws_reference_over_http grep -qx "url = http://127.0.0.1:$REF" "$T/nv.out"
check env_interval grep -qx 'check_interval = 1s' "$T/nv.out"
check env_more_than_20 grep -qx 'moderate_lag = 6' "$T/nv.out"
check env_more_than_100 grep -qx 'severe_lag = 31' "$T/nv.out"
(cd "$T/empty" && env CONTAINER_NAME=x CHECK_INTERVAL=soon \
	"$B/sextant-pilot" -n >"$T/bad.out" 2>&1)
check env_bad_value_named grep -q "CHECK_INTERVAL: not a whole number .*'soon'" "$T/bad.out"

# the one line that changes in a `docker run`: the image (and its env)
spawn standalone env CONTAINER_NAME=aleph-node RPC_URL="ws://127.0.0.1:$REF" \
	CHECK_INTERVAL=1 BLOCK_LAG_20=5 BLOCK_LAG_100=30 \
	DOCKER_HOST="unix://$SOCK" SEXTANT_HTTP_LISTEN="127.0.0.1:$HTTP" \
	"$B/sextant-pilot" -d
if wait_for 20 hj "$HTTP" '.up and .height > 0 and .lag != null and .lag < 4'; then
	pass standalone_watches_container
else
	fail standalone_watches_container "$(tail -n 5 "$T/standalone.log")"
fi
check standalone_says_so grep -q 'node aleph-node (substrate rpc, docker): standalone, no commander' "$T/standalone.log"
at0=$(started_at aleph-node)

# lag 5 is not MORE than BLOCK_LAG_20=5: no restart over several checks
ctl "$NODE" 'lag?blocks=5&hold=1'
wait_for 10 hj "$HTTP" '.lag == 5' ||
	fail lag_5_measured "$(tail -n 3 "$T/standalone.log")"
sleep 3
check lag_at_threshold_no_restart metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="moderate_lag"}' 0
check lag_at_threshold_logged grep -q 'none: lag 5 < moderate 6' "$T/standalone.log"

# more than BLOCK_LAG_100=30: restarted through the engine
ctl "$NODE" 'lag?blocks=40&hold=1'
if wait_for 10 metric_is "$HTTP" 'sextant_pilot_restarts_total{reason="severe_lag"}' 1; then
	pass standalone_restarts_on_severe_lag
else
	fail standalone_restarts_on_severe_lag "$(tail -n 5 "$T/standalone.log")"
fi
check standalone_engine_restarted wait_for 10 sh -c \
	"[ \"\$(curl -s -m 2 --unix-socket '$SOCK' http://d/v1.41/containers/aleph-node/json | jq -r .State.StartedAt)\" != '$at0' ]"
check standalone_catches_up wait_for 15 hj "$HTTP" '.lag != null and .lag < 4'
finish
