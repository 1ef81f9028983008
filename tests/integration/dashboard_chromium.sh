#!/bin/sh
# dashboard_chromium: the commander's dashboard in headless Chromium shows
# the fleet's nodes with their states, the events and the networks, with a
# read token given in the URL fragment; a screenshot is a real PNG.
#
# The API runs over a fabricated fleet (build/bench/api_fixture: the real
# fleet model, store and API, five nodes) until sextant-commander starts
# the API itself.
. tests/lib.sh

RT=read-token-0123456789abcdef

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	apt-get install -y chromium >"$T/apt.log" 2>&1
	CHROME=$(command -v chromium || true)
	if [ -z "$CHROME" ]; then
		echo "SKIP dashboard_chromium: chromium cannot be installed"
		tail -n 3 "$T/apt.log"
		exit 0
	fi
fi

spawn fixture "$B/bench/api_fixture" -s "$T/events.db" -p "$T/port" -r "$RT"
if ! wait_for 10 test -s "$T/port"; then
	fail fixture_start "$(cat "$T/fixture.log")"
	finish
fi
URL="http://127.0.0.1:$(cat "$T/port")/#token=$RT"

chrome() {
	# flags from peers.md: no sandbox as root, no outside traffic
	timeout 90 "$CHROME" --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d "$T/profile.XXXXXX")" \
		--virtual-time-budget=1000 "$@" 2>>"$T/chromium.err"
}

chrome --dump-dom "$URL" >"$T/dom.html"
check dom_dumped test -s "$T/dom.html"
for n in val1 val2 sentry1 rpc1 eth1; do
	check "dom_shows_$n" grep -q "<tr data-node=\"$n\"><td>$n</td>" \
		"$T/dom.html"
done
row() { grep -o "<tr data-node=\"$1\">.*</tr>" "$T/dom.html" |
	sed 's|</tr>.*||'; }
check dom_sentry1_lagging sh -c "echo '$(row sentry1)' |
	grep -q 'state s-lagging'"
check dom_rpc1_down sh -c "echo '$(row rpc1)' | grep -q 'state s-down'"
check dom_val1_lease sh -c "echo '$(row val1)' | grep -q 'holder, epoch 7'"
check dom_events_listed grep -q '<li[^>]* data-id="[0-9]*">' "$T/dom.html"
check dom_event_text grep -q 'sentry1: unknown -&gt; lagging' "$T/dom.html"
check dom_networks grep -q '<h3>chain-2</h3>' "$T/dom.html"
check dom_no_standby_banner grep -q 'id="standby" style="display: none' \
	"$T/dom.html"
check dom_no_token_prompt sh -c \
	"! grep -q 'id=\"auth\" style=\"display: flex' '$T/dom.html'"

# without the token the page asks for one instead of showing nodes
chrome --dump-dom "http://127.0.0.1:$(cat "$T/port")/" >"$T/dom-anon.html"
check dom_asks_for_token grep -q 'id="auth" style="display: flex' \
	"$T/dom-anon.html"
check dom_anon_no_nodes sh -c "! grep -q 'data-node=' '$T/dom-anon.html'"

# an HA standby's dashboard says so and names the leader
spawn standby "$B/bench/api_fixture" -s "$T/standby.db" -p "$T/sport" \
	-r "$RT" -S c2
if wait_for 10 test -s "$T/sport"; then
	chrome --dump-dom "http://127.0.0.1:$(cat "$T/sport")/#token=$RT" \
		>"$T/dom-standby.html"
	check dom_standby_banner grep -q \
		'id="standby" style="display: block;">This commander is a standby: .*The leader is c2' \
		"$T/dom-standby.html"
else
	fail standby_fixture_start "$(cat "$T/standby.log")"
fi

chrome --screenshot="$T/dashboard.png" --window-size=1400,900 "$URL" \
	>/dev/null
check screenshot_written test -s "$T/dashboard.png"
magic=$(od -An -tx1 -N8 "$T/dashboard.png" 2>/dev/null | tr -d ' \n')
check screenshot_is_png [ "$magic" = 89504e470d0a1a0a ]
size=$(wc -c <"$T/dashboard.png" 2>/dev/null || echo 0)
check screenshot_not_blank [ "$size" -gt 20000 ]
[ -n "${KEEP_SHOT:-}" ] && cp "$T/dashboard.png" "$KEEP_SHOT"
finish
