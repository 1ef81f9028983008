#!/bin/sh
# commander_ha_secure: commander HA on an etcd that, like a production one,
# wants TLS and a user.  One etcd member on loopback serving https with a
# throwaway CA, client certificates required (--client-cert-auth) and auth
# enabled: user sextant, whose role may only touch the test's prefix.
# c1 and c2 have the right user, password file, CA and client certificate:
# one leads, the other stands by.  c3 has a wrong password: it never
# leads, and its log quotes etcd's refusal.  c4 has no ca_file: it never
# leads, and its log says the certificate could not be verified.  The
# standby is frozen past the etcd token's TTL (--auth-token-ttl 1) and
# thawed: when the leader stops it takes over, so an expired token is
# replaced.  `-n` refuses a password file that others may read, naming it.
. tests/lib.sh
. tests/commander.sh

need_built sextant sextant-commander
export DEBIAN_FRONTEND=noninteractive
if ! command -v etcd >/dev/null 2>&1; then
	apt-get install -y etcd-server etcd-client >"$T/apt.log" 2>&1 ||
		{ apt-get update >>"$T/apt.log" 2>&1 &&
			apt-get install -y etcd-server etcd-client \
				>>"$T/apt.log" 2>&1; }
	if ! command -v etcd >/dev/null 2>&1; then
		echo "SKIP commander_ha_secure: etcd cannot be installed"
		tail -n 3 "$T/apt.log"
		exit 0
	fi
fi
if ! command -v openssl >/dev/null 2>&1; then
	apt-get install -y openssl >>"$T/apt.log" 2>&1 ||
		{ apt-get update >>"$T/apt.log" 2>&1 &&
			apt-get install -y openssl >>"$T/apt.log" 2>&1; }
	if ! command -v openssl >/dev/null 2>&1; then
		echo "SKIP commander_ha_secure: openssl cannot be installed"
		exit 0
	fi
fi

EPORT=$(port)
EPEER=$(port)
ETCD=https://127.0.0.1:$EPORT
PREFIX=/sextant-secure-$$
PW="c0rrect horse \"battery\""

# A throwaway CA, a server certificate for 127.0.0.1 and a client one.
# etcd's gateway dials etcd itself with the server's certificate, so that
# one is for clients too.  With --client-cert-auth the gateway refuses a
# client certificate that has a CommonName (CVE-2018-16886): the
# commander's has none.
P="$T/pki"
mkdir -p "$P"
chmod 700 "$P"
cert() { # NAME SUBJECT USAGE [SAN]
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$P/$1.key" -out "$P/$1.csr" -subj "$2" \
		>>"$P/openssl.log" 2>&1 &&
		{
			echo "extendedKeyUsage = $3"
			[ -z "${4:-}" ] || echo "subjectAltName = $4"
		} >"$P/$1.ext" &&
		openssl x509 -req -in "$P/$1.csr" -CA "$P/ca.pem" \
			-CAkey "$P/ca.key" -CAcreateserial -days 1 \
			-extfile "$P/$1.ext" -out "$P/$1.pem" \
			>>"$P/openssl.log" 2>&1 &&
		chmod 600 "$P/$1.key"
}
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	-nodes -keyout "$P/ca.key" -out "$P/ca.pem" -days 1 \
	-subj "/CN=sextant-test-ca" >"$P/openssl.log" 2>&1 &&
	cert server /CN=127.0.0.1 serverAuth,clientAuth IP:127.0.0.1 &&
	cert client /O=sextant clientAuth; then
	pass certificates_made
else
	fail certificates_made "$(tail -n 5 "$P/openssl.log")"
	finish
fi

spawn etcd etcd --name t1 --data-dir "$T/etcd" \
	--listen-client-urls "$ETCD" --advertise-client-urls "$ETCD" \
	--cert-file "$P/server.pem" --key-file "$P/server.key" \
	--client-cert-auth --trusted-ca-file "$P/ca.pem" \
	--auth-token-ttl 1 \
	--listen-peer-urls "http://127.0.0.1:$EPEER" \
	--initial-advertise-peer-urls "http://127.0.0.1:$EPEER" \
	--initial-cluster "t1=http://127.0.0.1:$EPEER" \
	--initial-cluster-state new
TLS="--cacert $P/ca.pem --cert $P/client.pem --key $P/client.key"
etcd_ok() {
	# shellcheck disable=SC2086 # TLS is several flags
	curl -sf -m 1 $TLS "$ETCD/health" | grep -q '"health":"true"'
}
wait_for 20 etcd_ok || { fail etcd_starts "$(tail -n 5 "$T/etcd.log")"; finish; }
pass etcd_starts
ctl() {
	# shellcheck disable=SC2086
	etcdctl --endpoints "$ETCD" $TLS "$@" >>"$T/etcdctl.log" 2>&1
}
# root must exist for auth enable; sextant may touch PREFIX only
if ctl user add "root:root-$$" && ctl user add "sextant:$PW" &&
	ctl role add sextant &&
	ctl role grant-permission sextant readwrite "$PREFIX" --prefix &&
	ctl user grant-role sextant sextant && ctl auth enable; then
	pass etcd_auth_enabled
else
	fail etcd_auth_enabled "$(tail -n 5 "$T/etcdctl.log")"
	finish
fi
# the gateway now refuses a request without a token
# shellcheck disable=SC2086
curl -s -m 2 $TLS -X POST "$ETCD/v3/kv/range" -d '{"key":"eA=="}' \
	>"$T/anon.out"
check etcd_refuses_anonymous sh -c "grep -q '\"error\"' '$T/anon.out' && ! grep -q '\"header\"' '$T/anon.out'"

printf '%s\n' "$PW" >"$T/etcd.pw"
chmod 600 "$T/etcd.pw"
printf 'wr0ngpass\n' >"$T/wrong.pw"
chmod 600 "$T/wrong.pw"
keys

# secure_commander ID PWFILE CA: its config, its API port in APORT_ID
secure_commander() {
	_c=$1
	_cp=$(port)
	_ap=$(port)
	eval "APORT_$_c=$_ap"
	{
		commander_conf "$_cp" "$T/$_c-state"
		cat <<EOF

[api]
listen = http://127.0.0.1:$_ap

[ha]
endpoint = $ETCD
prefix = $PREFIX
id = $_c
ttl = 3s
margin = 1s
timeout = 500ms
user = sextant
password_file = $2
cert_file = $P/client.pem
key_file = $P/client.key
EOF
		[ -z "$3" ] || echo "ca_file = $3"
	} >"$T/$_c.ini"
	if "$B/sextant-commander" -n -f "$T/$_c.ini" >"$T/$_c.check" 2>&1; then
		pass "${_c}_config"
	else
		fail "${_c}_config" "$(cat "$T/$_c.check")"
	fi
}
secure_commander c1 "$T/etcd.pw" "$P/ca.pem"
secure_commander c2 "$T/etcd.pw" "$P/ca.pem"
secure_commander c3 "$T/wrong.pw" "$P/ca.pem"
secure_commander c4 "$T/etcd.pw" ""

api() { eval "echo http://127.0.0.1:\$APORT_$1"; }
# (jq 1.6 -e exits 0 on empty input: no answer must fail first)
ha() { curl -s -m 2 "$(api "$1")/api/v1/ha"; }
leads() {
	_h=$(ha "$1") && [ -n "$_h" ] &&
		printf '%s' "$_h" | jq -e '.role == "leader" and .serving' >/dev/null
}
stands_by() {
	_h=$(ha "$1") && [ -n "$_h" ] &&
		printf '%s' "$_h" | jq -e --arg l "$2" '.role != "leader" and
			(.serving | not) and .leader == $l' >/dev/null
}
answers() { [ -n "$(ha "$1")" ]; }
for c in c1 c2 c3 c4; do
	spawn "$c" "$B/sextant-commander" -d -f "$T/$c.ini"
	eval "PID_$c=$LASTPID"
done
one_leads() { leads c1 || leads c2; }
if wait_for 15 one_leads; then
	pass a_secure_commander_leads
else
	fail a_secure_commander_leads "$(ha c1) $(tail -n 3 "$T/c1.log")"
	finish
fi
if leads c1; then L=c1 S=c2; else L=c2 S=c1; fi
check other_stands_by wait_for 10 stands_by "$S" "$L"
check wrong_password_answers wait_for 10 answers c3
check no_ca_answers wait_for 10 answers c4

# c3, c4: their logs say why, and neither ever leads (sampled)
check wrong_password_logged wait_for 10 log_has "$T/c3.log" \
	"etcd refused user 'sextant': etcdserver: authentication failed, invalid user ID or password"
check password_never_logged sh -c "! grep -q 'c0rrect\|wr0ngpass' '$T/c3.log' '$T/c1.log' '$T/c2.log'"
check untrusted_cert_logged wait_for 10 log_has "$T/c4.log" \
	"cannot use etcd: lease grant: $ETCD: SSL certificate problem"
never=1
for _ in 1 2 3 4 5 6 7 8 9 10; do
	{ leads c3 || leads c4; } && never=0
	sleep 0.2
done
if [ $never = 1 ]; then
	pass refused_commanders_never_lead
else
	fail refused_commanders_never_lead "$(ha c3) $(ha c4)"
fi

# the standby frozen past the token's TTL: thawed, its next request meets
# "invalid auth token" and it authenticates again; the leader stops, it
# takes over
eval "kill -STOP \$PID_$S"
sleep 2.5
eval "kill -CONT \$PID_$S"
check thawed_standby_stands_by wait_for 10 stands_by "$S" "$L"
eval "kill -TERM \$PID_$L"
if wait_for 10 leads "$S"; then
	pass standby_takes_over_with_a_new_token
else
	fail standby_takes_over_with_a_new_token "$(ha "$S") $(tail -n 3 "$T/$S.log")"
fi
if leads c3 || leads c4; then
	fail refused_commanders_still_do_not_lead "$(ha c3) $(ha c4)"
else
	pass refused_commanders_still_do_not_lead
fi

# -n refuses a password file others can read, naming it
chmod 644 "$T/wrong.pw"
"$B/sextant-commander" -n -f "$T/c3.ini" >"$T/loose.out" 2>&1
rc=$?
if [ $rc -ne 0 ] && grep -q "password_file: $T/wrong.pw: mode 0644" "$T/loose.out"; then
	pass loose_password_file_refused
else
	fail loose_password_file_refused "rc $rc: $(cat "$T/loose.out")"
fi
finish
