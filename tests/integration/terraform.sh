#!/bin/sh
# terraform/: the example deployments, checked offline.
#  1. `terraform fmt -check -recursive terraform/`.
#  2. Every .tf parses (npm @cdktf/hcl2json); each module call passes only
#     variables its module declares and every one it requires; secrets are
#     sensitive variables and sensitive outputs; providers are pinned.
#  3. Each example is applied for real with its providers stubbed (the
#     SSH provisioners write into a directory instead, the public-line
#     read-back returns keys made here by `sextant keygen`), so the whole
#     wiring is evaluated; then the rendered pilot.ini and commander.ini go
#     through `sextant-pilot -n` and `sextant-commander -n`, and the
#     rendered install scripts through `sh -n`.
#  4. Bad input stops the plan (validations and preconditions).
#  5. The rendered install.sh runs for real with every path in a scratch
#     root: key made once and kept, modes, -n as the service user, a bad
#     config refused with the running one kept.
# Providers cannot be downloaded here: the only provider used in step 3 is
# Terraform's built-in one (terraform_data).
. tests/lib.sh
TOP=$(pwd)
TF_DIR="$TOP/terraform"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
# no CLI config from the machine: no plugin cache, mirrors or credentials
: >"$T/terraformrc"
export TF_CLI_CONFIG_FILE="$T/terraformrc"

# --- terraform itself -----------------------------------------------------------
TF=$(command -v terraform || true)
if [ -z "$TF" ] && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q terraform \
		>"$T/apt.log" 2>&1 || true
	TF=$(command -v terraform || true)
fi

# --- 1. formatting ----------------------------------------------------------------
if [ -z "$TF" ]; then
	echo "SKIP terraform fmt: no terraform binary"
elif "$TF" fmt -check -recursive -list=true "$TF_DIR" >"$T/fmt.out" 2>&1; then
	pass tf_fmt_check
else
	fail tf_fmt_check "not formatted: $(tr '\n' ' ' <"$T/fmt.out")"
fi

# --- 2. structure, from the parsed HCL ---------------------------------------------
if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm \
		>"$T/apt-npm.log" 2>&1 || true
fi
if ! command -v npm >/dev/null 2>&1; then
	fail tf_hcl_parse "no npm, and apt-get install npm failed"
else
	mkdir -p "$T/npm"
	n=0
	until (cd "$T/npm" && npm install --silent --no-audit --no-fund \
		@cdktf/hcl2json >"$T/npm.log" 2>&1); do
		n=$((n + 1))
		[ $n -ge 3 ] && break
		sleep 2
	done
	if [ ! -d "$T/npm/node_modules/@cdktf/hcl2json" ]; then
		echo "SKIP tf_hcl_parse: npm install @cdktf/hcl2json failed:"
		tail -n 5 "$T/npm.log"
	else
		cat >"$T/npm/check.js" <<'EOF'
// Parse every .tf under argv[2] and check how the pieces fit together.
const fs = require('fs');
const path = require('path');
const hcl = require('@cdktf/hcl2json');
const root = process.argv[2];
let nfail = 0;
const pass = (n) => console.log('PASS ' + n);
const fail = (n, why) => { console.log('FAIL ' + n + ': ' + why); nfail++; };

function tfFiles(dir) {
	let out = [];
	for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
		const p = path.join(dir, e.name);
		if (e.isDirectory() && !e.name.startsWith('.')) out = out.concat(tfFiles(p));
		else if (e.isFile() && e.name.endsWith('.tf')) out.push(p);
	}
	return out;
}
const first = (v) => (Array.isArray(v) ? v[0] : v) || {};
const text = (v) => JSON.stringify(v === undefined ? null : v);

(async () => {
	const dirs = {};
	for (const f of tfFiles(root)) {
		const rel = path.relative(root, f);
		let doc;
		try {
			doc = await hcl.parse(rel, fs.readFileSync(f, 'utf8'));
		} catch (e) {
			fail('tf_parse ' + rel, String(e).replace(/\s+/g, ' '));
			continue;
		}
		pass('tf_parse ' + rel);
		const d = path.dirname(f);
		dirs[d] = dirs[d] || { variable: {}, output: {}, module: {}, resource: {}, data: {}, terraform: [] };
		for (const kind of ['variable', 'output', 'module', 'resource', 'data'])
			Object.assign(dirs[d][kind], doc[kind] || {});
		if (doc.terraform) dirs[d].terraform.push(...doc.terraform);
	}
	const meta = new Set(['source', 'version', 'count', 'for_each', 'depends_on', 'providers']);
	const secretName = /token|password|secret|private_key/i;
	const secretValue = /api_token|read_token|password|secret|env_file|cloud_init|random_password|private_key/i;

	for (const [d, m] of Object.entries(dirs)) {
		const rd = path.relative(root, d);
		// module calls: only declared variables, every required one
		for (const [name, blocks] of Object.entries(m.module)) {
			const call = first(blocks);
			const n = 'tf_module_args ' + rd + ' module.' + name;
			if (typeof call.source !== 'string' || !call.source.startsWith('.')) {
				fail(n, 'source is not a local path: ' + text(call.source));
				continue;
			}
			const target = path.resolve(d, call.source);
			const t = dirs[target];
			if (!t) { fail(n, 'no module at ' + call.source); continue; }
			const args = Object.keys(call).filter((k) => !meta.has(k));
			const unknown = args.filter((a) => !(a in t.variable));
			const missing = Object.entries(t.variable)
				.filter(([v, b]) => !('default' in first(b)) && !args.includes(v))
				.map(([v]) => v);
			if (unknown.length || missing.length)
				fail(n, (unknown.length ? 'undeclared in ' + call.source + ': ' + unknown.join(', ') + ' ' : '') +
					(missing.length ? 'required but not passed: ' + missing.join(', ') : ''));
			else
				pass(n);
		}
		// secrets: sensitive variables and outputs
		for (const [name, b] of Object.entries(m.variable)) {
			if (!secretName.test(name) || /_file$/.test(name) || first(b).type === '${bool}') continue;
			const n = 'tf_sensitive_var ' + rd + ' var.' + name;
			first(b).sensitive === true ? pass(n) : fail(n, 'a secret without sensitive = true');
		}
		for (const [name, b] of Object.entries(m.output)) {
			const o = first(b);
			const v = text(o.value);
			if (/public/.test(name)) {
				// a public line may not be built from a secret
				if (secretValue.test(v)) fail('tf_public_output ' + rd + ' output.' + name, 'refers to a secret: ' + v);
				continue;
			}
			if (!secretName.test(name) && !secretValue.test(v)) continue;
			const n = 'tf_sensitive_output ' + rd + ' output.' + name;
			o.sensitive === true ? pass(n) : fail(n, 'exposes ' + v + ' without sensitive = true');
		}
		// providers used are pinned with a version constraint
		const used = new Set();
		for (const kind of ['resource', 'data'])
			for (const type of Object.keys(m[kind])) {
				const p = type.split('_')[0];
				if (p !== 'terraform') used.add(p);
			}
		const req = {};
		for (const t of m.terraform)
			for (const rp of t.required_providers || [])
				Object.assign(req, rp);
		for (const p of used) {
			const n = 'tf_provider_pinned ' + rd + ' ' + p;
			const r = req[p];
			r && r.source && r.version ? pass(n) : fail(n, 'used but not in required_providers with a source and version');
		}
		if (m.terraform.length === 0 || !m.terraform.some((t) => t.required_version))
			fail('tf_required_version ' + rd, 'no terraform { required_version }');
	}
	process.exit(nfail ? 1 : 0);
})();
EOF
		(cd "$T/npm" && node check.js "$TF_DIR") >"$T/check.out" 2>&1
		rc=$?
		cat "$T/check.out"
		if [ $rc != 0 ] && ! grep -q '^FAIL ' "$T/check.out"; then
			fail tf_structure "check.js exited $rc"
		fi
		# a parser that rejects what it should: a broken file is a FAIL line
		mkdir -p "$T/bad"
		printf 'variable "x" {\n  type = \n}\n' >"$T/bad/bad.tf"
		(cd "$T/npm" && node check.js "$T/bad") >"$T/bad.out" 2>&1
		check tf_parse_rejects_bad_hcl grep -q '^FAIL tf_parse bad.tf: .*bad.tf:2,' "$T/bad.out"
	fi
fi

# --- 3. the examples, applied with stubbed providers ----------------------------------
if [ -z "$TF" ]; then
	echo "SKIP tf_examples: no terraform binary"
	finish
fi
# A copy of the binaries: a build running meanwhile must not change the
# hashes that plan and apply compare.
mkdir -p "$T/bin"
for p in sextant-pilot sextant-commander sextant; do
	[ -x "$B/$p" ] || { fail tf_examples "no $B/$p: run make first"; finish; }
	cp "$B/$p" "$T/bin/$p"
done

KEYS="$T/keys"
mkdir -p "$KEYS"
# keygen NAME: a key pair as the install script makes it on a server
keygen() {
	[ -e "$KEYS/$1.key" ] || "$B/sextant" keygen -o "$KEYS/$1.key" -C "$1" \
		>/dev/null 2>"$T/keygen.err" || fail "keygen $1" "$(cat "$T/keygen.err")"
}
# lines.json: { NAME: "sextant-ed25519 KEY NAME" } for the read-back stub
lines_json() {
	printf '{'
	sep=""
	for f in "$KEYS"/*.key.pub; do
		n=$(basename "$f" .key.pub)
		printf '%s"%s": "%s"' "$sep" "$n" "$(cat "$f")"
		sep=", "
	done
	printf '}\n'
}

# stub_tree DIR OUT: copy terraform/ to DIR; providers replaced by
# terraform_data, provisioners write what they would upload into OUT/NAME.
stub_tree() {
	rm -rf "$1"
	cp -r "$TF_DIR" "$1"
	lines_json >"$KEYS/lines.json"
	for v in "$1"/modules/sextant-pilot/versions.tf \
		"$1"/modules/sextant-commander/versions.tf "$1"/examples/*/versions.tf; do
		printf 'terraform {\n  required_version = ">= 1.4"\n}\n' >"$v"
	done
	for m in pilot commander; do
		[ $m = pilot ] && who=node_name || who=commander_name
		cat >"$1/modules/sextant-$m/readback.tf" <<EOF
resource "terraform_data" "public_line" {
  count      = var.read_public_line ? 1 : 0
  depends_on = [terraform_data.base]
  input      = jsondecode(file("$KEYS/lines.json"))[var.$who]
}
locals {
  public_line = var.read_public_line ? terraform_data.public_line[0].output : null
}
EOF
	done
	cat >"$1/modules/sextant-commander/token.tf" <<'EOF'
resource "terraform_data" "api_token" {
  count = var.api_token == null && var.generate_api_token ? 1 : 0
  input = "StubGeneratedToken0123456789abcdefghij"
}
locals {
  api_token = var.api_token != null ? var.api_token : (var.generate_api_token ? terraform_data.api_token[0].output : null)
}
EOF
	cat >"$1/modules/sextant-pilot/sxtest_override.tf" <<EOF
resource "terraform_data" "upload" {
  provisioner "local-exec" {
    command = "true"
  }
}
resource "terraform_data" "base" {
  provisioner "local-exec" {
    command     = "mkdir -p \"\$D\" && printf '%s' \"\$S\" >\"\$D/install.sh\""
    environment = { D = "$2/\${var.node_name}", S = module.files.install_script }
  }
}
resource "terraform_data" "config" {
  provisioner "local-exec" {
    command     = "mkdir -p \"\$D\" && printf '%s' \"\$I\" >\"\$D/pilot.ini\" && printf '%s' \"\$E\" >\"\$D/pilot.env\" && printf '%s' \"\$U\" >\"\$D/sextant-pilot.service\""
    environment = { D = "$2/\${var.node_name}", I = module.files.pilot_ini, E = module.files.env_file, U = module.files.systemd_unit }
  }
}
EOF
	cat >"$1/modules/sextant-commander/sxtest_override.tf" <<EOF
resource "terraform_data" "upload" {
  provisioner "local-exec" {
    command = "true"
  }
}
resource "terraform_data" "base" {
  provisioner "local-exec" {
    command     = "mkdir -p \"\$D\" && printf '%s' \"\$S\" >\"\$D/install.sh\""
    environment = { D = "$2/\${var.commander_name}", S = module.files.install_script }
  }
}
resource "terraform_data" "config" {
  provisioner "local-exec" {
    command     = "mkdir -p \"\$D\" && printf '%s' \"\$I\" >\"\$D/commander.ini\" && printf '%s' \"\$E\" >\"\$D/commander.env\" && printf '%s' \"\$A\" >\"\$D/authorized_pilots\" && printf '%s' \"\$U\" >\"\$D/sextant-commander.service\""
    environment = { D = "$2/\${var.commander_name}", I = module.files.commander_ini, E = module.files.env_file, A = module.files.authorized_pilots, U = module.files.systemd_unit }
  }
}
EOF
}

# tf_apply NAME DIR: init and apply DIR with its test.tfvars
tf_apply() {
	(cd "$2" && "$TF" init -input=false -no-color >"$T/$1.init" 2>&1 &&
		"$TF" apply -auto-approve -input=false -no-color \
			-var-file=test.tfvars >"$T/$1.apply" 2>&1)
}

# Sections the examples render for daemon features whose config is still
# being written (the API, the [node NAME] inventory and the [group NAME]
# failover settings in the commander).  While a
# daemon does not know one of these sections at all, the check drops it and
# says SKIP; once the daemon knows it, every key in it is checked.  Any
# other unknown section or key is a FAIL.
PENDING_PILOT=""
PENDING_COMMANDER="api node group"
SKIPPED_PILOT=""
SKIPPED_COMMANDER=""

# daemon_check TESTNAME PROGRAM DIR ENVFILE PENDING: `PROGRAM -n` on
# DIR/check.ini with ENVFILE's environment
daemon_check() {
	_n=$1 _prog=$2 _dir=$3 _env=$4 _pending=$5 _i=0
	while :; do
		if (set -a && . "$_env" && exec "$_prog" -n -f "$_dir/check.ini") \
			>"$_dir/n.out" 2>&1; then
			pass "$_n"
			return
		fi
		_sec=$(sed -n "s/.*: unknown section '\\[\\([a-z_]*\\).*\\]'\$/\\1/p" "$_dir/n.out")
		case " $_pending " in
		*" $_sec "*) ;;
		*)
			fail "$_n" "$(tr '\n' ' ' <"$_dir/n.out")"
			return
			;;
		esac
		echo "SKIP $_n [$_sec]: $(basename "$_prog") has no such section yet"
		case $_prog in
		*-pilot) SKIPPED_PILOT="$SKIPPED_PILOT $_sec" ;;
		*) SKIPPED_COMMANDER="$SKIPPED_COMMANDER $_sec" ;;
		esac
		# drop every [sec] / [sec NAME] section, up to the next header
		awk -v s="$_sec" '/^\[/ { skip = ($0 ~ "^\\[" s "( [^]]*)?\\]$") } !skip' \
			"$_dir/check.ini" >"$_dir/check.tmp" && mv "$_dir/check.tmp" "$_dir/check.ini"
		_i=$((_i + 1))
		[ $_i -lt 10 ] || { fail "$_n" "too many unknown sections"; return; }
	done
}

# check_pilot NAME DIR: DIR/pilot.ini through `sextant-pilot -n`, with this
# machine's key and state dir in place of the server's paths
check_pilot() {
	sed -e "s#^key = /etc/sextant/pilot.key\$#key = $KEYS/$1.key#" \
		-e "s#^state_dir = .*#state_dir = $T/state/$1#" \
		-e "s#^key_source = .*#key_source = $KEYS/consensus.json#" \
		"$2/pilot.ini" >"$2/check.ini"
	mkdir -p "$T/state/$1"
	daemon_check "tf_pilot_ini_accepted $1" "$T/bin/sextant-pilot" "$2" \
		"$2/pilot.env" "$PENDING_PILOT"
}

check_commander() {
	sed -e "s#^key = /etc/sextant/commander.key\$#key = $KEYS/$1.key#" \
		-e "s#^state_dir = .*#state_dir = $T/state/$1#" \
		-e "s#^authorized_pilots = .*#authorized_pilots = $2/authorized_pilots#" \
		"$2/commander.ini" >"$2/check.ini"
	mkdir -p "$T/state/$1"
	daemon_check "tf_commander_ini_accepted $1" "$T/bin/sextant-commander" \
		"$2" "$2/commander.env" "$PENDING_COMMANDER"
}

check_scripts() { # NAME DIR: the install script parses as sh
	check "tf_install_sh_syntax $1" sh -n "$2/install.sh"
}

# --- cosmos-validator-ha ------------------------------------------------------
for n in val-a-1 val-a-2 sentry-1 sentry-2 commander; do keygen $n; done
stub_tree "$T/ha" "$T/ha-out"
cat >"$T/ha/examples/cosmos-validator-ha/test.tfvars" <<EOF
commander_host            = "192.0.2.10"
commander_private_address = "10.0.0.10"
validator_hosts           = { primary = "192.0.2.21", secondary = "192.0.2.22" }
sentry_hosts              = ["192.0.2.31", "192.0.2.32"]
local_bin_dir             = "$T/bin"
references                = ["https://rpc.example.net", "https://rpc2.example.net"]
enable_signer             = true
validator_extra_sections  = { signer = { doppelganger_blocks = "5" }, policy = { dry_run = "yes" } }
EOF
# the consensus key the validators' [signer] takes (a stand-in, 0600)
(umask 077 && echo '{}' >"$KEYS/consensus.json")
if tf_apply ha "$T/ha/examples/cosmos-validator-ha"; then
	pass tf_apply_cosmos_validator_ha
	H="$T/ha/examples/cosmos-validator-ha"
	for n in val-a-1 val-a-2 sentry-1 sentry-2; do
		check_pilot $n "$T/ha-out/$n"
		check_scripts $n "$T/ha-out/$n"
		# the pilot pins the commander's key and dials its private address
		check "tf_pilot_pins_commander $n" grep -qxF \
			"key = $(cat "$KEYS/commander.key.pub")" "$T/ha-out/$n/pilot.ini"
		check "tf_pilot_dials_private_address $n" grep -qx \
			'url = tcp://10.0.0.10:7400' "$T/ha-out/$n/pilot.ini"
		check "tf_pilot_health_loopback $n" grep -qx \
			'listen = http://127.0.0.1:[0-9]*' "$T/ha-out/$n/pilot.ini"
		check "tf_unit_restart_always $n" grep -qx 'Restart=always' \
			"$T/ha-out/$n/sextant-pilot.service"
	done
	for n in val-a-1 val-a-2; do
		check "tf_validator_signer $n" sh -c "grep -qx 'backend = keyswap' '$T/ha-out/$n/pilot.ini' &&
			grep -qx 'mode = lease' '$T/ha-out/$n/pilot.ini' &&
			grep -qx 'key_target = /home/gaia/.gaia/config/priv_validator_key.json' '$T/ha-out/$n/pilot.ini' &&
			grep -qx 'doppelganger_blocks = 5' '$T/ha-out/$n/pilot.ini' &&
			grep -qx 'dry_run = yes' '$T/ha-out/$n/pilot.ini'"
		check "tf_validator_writes_node_home $n" grep -q \
			'^ReadWritePaths=.* /home/gaia/.gaia$' "$T/ha-out/$n/sextant-pilot.service"
	done
	check tf_sentry_no_signer sh -c "! grep -q '^\[signer\]' '$T/ha-out/sentry-1/pilot.ini'"
	check_commander commander "$T/ha-out/commander"
	check tf_commander_group_mode sh -c "grep -A1 -x '\[group val-a\]' '$T/ha-out/commander/commander.ini' | grep -qx 'mode = lease'"
	check_scripts commander "$T/ha-out/commander"
	C="$T/ha-out/commander"
	# authorized_pilots: exactly the four pilots' public lines
	cat "$KEYS"/val-a-1.key.pub "$KEYS"/val-a-2.key.pub \
		"$KEYS"/sentry-1.key.pub "$KEYS"/sentry-2.key.pub | sort >"$T/want"
	grep -v '^#' "$C/authorized_pilots" | sort >"$T/got"
	check tf_authorized_pilots_are_the_pilots cmp -s "$T/want" "$T/got"
	check tf_inventory_has_four_nodes [ "$(grep -c '^\[node ' "$C/commander.ini")" = 4 ]
	check tf_api_on_loopback grep -qx 'listen = http://127.0.0.1:7401' "$C/commander.ini"
	# the token: in the 0600 env file, never in the ini or a plain output
	check tf_token_in_env_file grep -q '^SEXTANT_API_TOKEN=' "$C/commander.env"
	check tf_token_not_in_ini sh -c "! grep -qi 'token *=' '$C/commander.ini' && ! grep -q StubGeneratedToken '$C/commander.ini'"
	(cd "$H" && "$TF" output -no-color >"$T/ha.outputs" 2>&1)
	check tf_token_output_hidden sh -c "grep -q '^api_token = <sensitive>' '$T/ha.outputs' && ! grep -q StubGeneratedToken '$T/ha.outputs'"
	# no secret key anywhere in what Terraform wrote or keeps
	check tf_no_secret_key_in_outputs sh -c "! grep -rq 'sextant-ed25519-secret' '$T/ha-out' '$H/terraform.tfstate'"
	check tf_dashboard_tunnel grep -q '^dashboard_tunnel = "ssh -N -L 7401:127.0.0.1:7401 root@192.0.2.10"' "$T/ha.outputs"
else
	fail tf_apply_cosmos_validator_ha "$(tail -n 30 "$T/ha.apply" "$T/ha.init" 2>/dev/null | tr '\n' ' ')"
fi

# --- standalone-monitor -------------------------------------------------------
keygen aleph-node-1
stub_tree "$T/sa" "$T/sa-out"
cat >"$T/sa/examples/standalone-monitor/test.tfvars" <<EOF
host           = "192.0.2.40"
container_name = "aleph-node"
rpc_url        = "https://aleph.example.net"
local_bin_dir  = "$T/bin"
EOF
if tf_apply sa "$T/sa/examples/standalone-monitor"; then
	pass tf_apply_standalone_monitor
	O="$T/sa-out/aleph-node-1"
	check_pilot aleph-node-1 "$O"
	check_scripts aleph-node-1 "$O"
	check tf_standalone_no_commander sh -c "! grep -q '^\[commander\]' '$O/pilot.ini'"
	check tf_standalone_reference grep -qx 'url = https://aleph.example.net' "$O/pilot.ini"
	check tf_standalone_docker_target sh -c "grep -qx 'backend = docker' '$O/pilot.ini' && grep -qx 'target = aleph-node' '$O/pilot.ini'"
	check tf_standalone_monitor_policy sh -c "grep -qx 'check_interval = 60s' '$O/pilot.ini' &&
		grep -qx 'moderate_lag = 20' '$O/pilot.ini' && grep -qx 'severe_lag = 100' '$O/pilot.ini'"
	check tf_standalone_docker_group grep -qx 'SupplementaryGroups=docker' "$O/sextant-pilot.service"
	check tf_standalone_not_root grep -qx 'User=sextant' "$O/sextant-pilot.service"
else
	fail tf_apply_standalone_monitor "$(tail -n 30 "$T/sa.apply" "$T/sa.init" 2>/dev/null | tr '\n' ' ')"
fi

# --- the files modules with other chains, a password and read tokens ----------------
keygen btc-1
keygen cmd-1
mkdir -p "$T/var"
cat >"$T/var/main.tf" <<EOF
module "btc" {
  source               = "$TF_DIR/modules/sextant-pilot-files"
  node_name            = "btc-1"
  chain                = "bitcoin"
  network              = "main"
  rpc_url              = "http://127.0.0.1:8332"
  rpc_user             = "sextant"
  rpc_password         = "pa ss\$word\\\\x"
  commander_url        = "tcp://127.0.0.1:7400"
  commander_public_key = "$(cat "$KEYS/commander.key.pub")"
  supervise_target     = "bitcoind.service"
}
module "cmd" {
  source            = "$TF_DIR/modules/sextant-pilot-files"
  node_name         = "cmd-1"
  chain             = "command"
  node_command      = "/usr/local/bin/my-height"
  supervise_backend = "process"
  supervise_target  = "mynode"
  supervise_command = "/usr/local/bin/mynode"
  supervise_args    = ["--home", "/var/lib/my node"]
  install_from      = "source"
  source_url        = "https://git.example.net/sextant.git"
}
module "cmdr" {
  source            = "$TF_DIR/modules/sextant-commander-files"
  api_token         = "write-token-0123456789"
  api_read_token    = "read-token-0123456789"
  authorized_pilots = { "btc-1" = "$(cat "$KEYS/btc-1.key.pub")" }
  inventory         = { "btc-1" = { role = "rpc", network = "main" } }
  install_from      = "preinstalled"
}
output "btc_ini" { value = module.btc.pilot_ini }
output "btc_env" {
  value     = module.btc.env_file
  sensitive = true
}
output "cmd_ini" { value = module.cmd.pilot_ini }
output "cmd_unit" { value = module.cmd.systemd_unit }
output "cmd_cloud_init" {
  value     = module.cmd.cloud_init
  sensitive = true
}
output "cmdr_ini" { value = module.cmdr.commander_ini }
output "cmdr_env" {
  value     = module.cmdr.env_file
  sensitive = true
}
output "cmdr_pilots" { value = module.cmdr.authorized_pilots }
output "cmdr_install" { value = module.cmdr.install_script }
EOF
: >"$T/var/test.tfvars"
if tf_apply var "$T/var"; then
	pass tf_apply_files_modules
	out() { (cd "$T/var" && "$TF" output -raw "$1"); }
	mkdir -p "$T/var/btc-1" "$T/var/cmd-1" "$T/var/cmdr"
	out btc_ini >"$T/var/btc-1/pilot.ini"
	out btc_env >"$T/var/btc-1/pilot.env"
	out cmd_ini >"$T/var/cmd-1/pilot.ini"
	: >"$T/var/cmd-1/pilot.env"
	out cmdr_ini >"$T/var/cmdr/commander.ini"
	out cmdr_env >"$T/var/cmdr/commander.env"
	out cmdr_pilots >"$T/var/cmdr/authorized_pilots"
	out cmdr_install >"$T/var/cmdr/install.sh"
	check_pilot btc-1 "$T/var/btc-1"
	check_pilot cmd-1 "$T/var/cmd-1"
	# the commander's files with read and write tokens, from its env file
	cp "$KEYS/commander.key" "$KEYS/cmdr.key"
	check_commander cmdr "$T/var/cmdr"
	check_scripts cmdr "$T/var/cmdr"
	check tf_password_not_in_ini sh -c "! grep -q 'pa ss' '$T/var/btc-1/pilot.ini'"
	# the env file hands the password over unchanged, to sh as to systemd
	check tf_password_env_roundtrip sh -c ". '$T/var/btc-1/pilot.env' && [ \"\$SEXTANT_NODE_PASSWORD\" = 'pa ss\$word\\x' ]"
	check tf_process_backend_allows_jit sh -c "out() { cd '$T/var' && '$TF' output -raw cmd_unit; }; ! out | grep -q MemoryDenyWriteExecute"
	(cd "$T/var" && "$TF" output -raw cmd_cloud_init) >"$T/var/ci.yaml" 2>&1
	check tf_cloud_init_header sh -c "head -n 1 '$T/var/ci.yaml' | grep -qx '#cloud-config'"
	check tf_cloud_init_runs_install grep -q 'install.sh, /run/sextant-stage, all]' "$T/var/ci.yaml"
else
	fail tf_apply_files_modules "$(tail -n 30 "$T/var.apply" "$T/var.init" 2>/dev/null | tr '\n' ' ')"
fi

# the read-back script is the same in both modules
check tf_readback_scripts_same cmp -s "$TF_DIR/modules/sextant-pilot/scripts/read-public-line.sh" \
	"$TF_DIR/modules/sextant-commander/scripts/read-public-line.sh"

# --- 4. bad input stops the plan --------------------------------------------------
# refused NAME 'HCL arguments' 'expected message': a module call that plan
# must refuse with that message
refused() {
	d="$T/bad-$1"
	mkdir -p "$d"
	printf 'module "m" {\n  source = "%s"\n%s\n}\noutput "o" {\n  value = module.m.%s\n}\n' \
		"$TF_DIR/modules/$4" "$2" "$5" >"$d/main.tf"
	if (cd "$d" && "$TF" init -input=false -no-color >/dev/null 2>&1 &&
		"$TF" plan -input=false -no-color) >"$d/plan.out" 2>&1; then
		fail "tf_refuses $1" "plan succeeded"
	elif tr '\n' ' ' <"$d/plan.out" | sed 's/│//g; s/  */ /g' | grep -q "$3"; then
		pass "tf_refuses $1"
	else
		fail "tf_refuses $1" "$(tr '\n' ' ' <"$d/plan.out" | cut -c1-400)"
	fi
}
P='supervise_target = "x.service"
  rpc_url = "http://127.0.0.1:1"'
refused newline_in_name "node_name = \"a\\nb\"
  $P" 'node_name: 1 to 63' sextant-pilot-files pilot_ini
refused validator_without_group "node_name = \"v\"
  role = \"validator\"
  $P" 'group: required for a validator' sextant-pilot-files pilot_ini
refused commander_without_key "node_name = \"v\"
  network = \"n\"
  commander_url = \"tcp://h:1\"
  $P" 'needs commander_public_key' sextant-pilot-files pilot_ini
refused public_health "node_name = \"v\"
  health_port = 70000
  $P" 'health_port: 1 to 65535' sextant-pilot-files pilot_ini
refused section_injection "node_name = \"v\"
  extra_sections = { \"policy]\\n[x\" = {} }
  $P" 'extra_sections: section names' sextant-pilot-files pilot_ini
refused pilot_name_mismatch "authorized_pilots = { \"a\" = \"$(cat "$KEYS/btc-1.key.pub")\" }" \
	'whose NODENAME is its map key' sextant-commander-files commander_ini
refused short_token 'api_token = "short"' 'api_token: at least 16' \
	sextant-commander-files commander_ini
refused etcd_not_yet 'etcd_endpoints = ["http://127.0.0.1:2379"]' \
	'no etcd HA yet' sextant-commander-files commander_ini

# --- 5. install.sh, run for real in a scratch root --------------------------------
# The rendered scripts with every path under $R: packages (all present
# here), the key made by keygen, the -n check as the service user, the
# files with their modes, idempotence, and bad configs refused.
R="$T/root"
if [ -d /run/systemd/system ]; then
	echo "SKIP tf_install_sh: systemd runs here and the scripts would call systemctl"
	finish
elif [ "$(id -u)" != 0 ]; then
	echo "SKIP tf_install_sh: needs root (chown, runuser)"
	finish
fi
chmod 0711 "$T" # the service user (nobody) must reach its files below
mkdir -p "$R/usr/local/bin" "$R/etc/systemd/system" "$R/var/lib"
cp "$T/bin/sextant" "$R/usr/local/bin/sextant"
# install_bin NAME SKIPPED: the daemon, or while it lacks sections that the
# checks above skipped, a wrapper that drops them from what -n reads
install_bin() {
	if [ -z "$2" ]; then
		cp "$T/bin/$1" "$R/usr/local/bin/$1"
		return
	fi
	cp "$T/bin/$1" "$R/usr/local/bin/$1.real"
	alt=$(echo $2 | tr ' ' '|')
	cat >"$R/usr/local/bin/$1" <<EOF
#!/bin/sh
if [ "\$1" = -n ] && [ "\$2" = -f ]; then
	awk '/^\\[/ { skip = (\$0 ~ "^\\\\[($alt)( [^]]*)?\\\\]\$") } !skip' "\$3" >"\$3.x" &&
		exec "$R/usr/local/bin/$1.real" -n -f "\$3.x"
fi
exec "$R/usr/local/bin/$1.real" "\$@"
EOF
	chmod 0755 "$R/usr/local/bin/$1"
}
install_bin sextant-pilot "$SKIPPED_PILOT"
install_bin sextant-commander "$SKIPPED_COMMANDER"
chmod -R go+rX "$R"

mkdir -p "$T/inst"
cat >"$T/inst/main.tf" <<EOF
module "p" {
  source               = "$TF_DIR/modules/sextant-pilot-files"
  node_name            = "inst-1"
  network              = "n-1"
  rpc_url              = "http://127.0.0.1:26657"
  commander_url        = "tcp://127.0.0.1:7400"
  commander_public_key = "$(cat "$KEYS/commander.key.pub")"
  supervise_target     = "gaiad.service"
  install_from         = "preinstalled"
  prefix               = "$R/usr/local"
  config_dir           = "$R/etc/sextant"
  state_dir            = "$R/var/lib/sextant-pilot"
  unit_dir             = "$R/etc/systemd/system"
}
module "c" {
  source            = "$TF_DIR/modules/sextant-commander-files"
  api_token         = "install-test-token-0123456789"
  authorized_pilots = { "btc-1" = "$(cat "$KEYS/btc-1.key.pub")" }
  inventory         = { "btc-1" = { role = "rpc", network = "main" } }
  run_as_user       = "nobody"
  install_from      = "preinstalled"
  prefix            = "$R/usr/local"
  config_dir        = "$R/etc/sextant"
  state_dir         = "$R/var/lib/sextant-commander"
  unit_dir          = "$R/etc/systemd/system"
}
output "p_sh" { value = module.p.install_script }
output "p_ini" { value = module.p.pilot_ini }
output "p_env" {
  value     = module.p.env_file
  sensitive = true
}
output "p_unit" { value = module.p.systemd_unit }
output "c_sh" { value = module.c.install_script }
output "c_ini" { value = module.c.commander_ini }
output "c_env" {
  value     = module.c.env_file
  sensitive = true
}
output "c_pilots" { value = module.c.authorized_pilots }
output "c_unit" { value = module.c.systemd_unit }
EOF
: >"$T/inst/test.tfvars"
if ! tf_apply inst "$T/inst"; then
	fail tf_install_sh_render "$(tail -n 20 "$T/inst.apply" | tr '\n' ' ')"
	finish
fi
iout() { (cd "$T/inst" && "$TF" output -raw "$1"); }
# stage DIR OUTPUT:FILE...: a fresh stage dir holding those outputs
stage() {
	_d=$1
	shift
	rm -rf "$_d"
	mkdir -m 0700 "$_d"
	for _of in "$@"; do iout "${_of%%:*}" >"$_d/${_of#*:}"; done
}
# run_step NAME DIR STEP: run the staged install.sh; PASS if it succeeds
run_step() {
	if sh "$2/install.sh" "$2" "$3" >"$2.out" 2>&1; then
		pass "$1"
	else
		fail "$1" "$(tr '\n' ' ' <"$2.out")"
	fi
}
E="$R/etc/sextant"
perm() { stat -c '%a %U' "$1" 2>/dev/null; }

# the pilot (systemd backend: runs as root)
stage "$T/s1" p_sh:install.sh
run_step tf_install_pilot_base "$T/s1" base
check tf_install_pilot_key_0600 [ "$(perm "$E/pilot.key")" = "600 root" ]
check tf_install_pilot_pub_printed [ "$(tail -n 1 "$T/s1.out")" = "$(cat "$E/pilot.key.pub" 2>/dev/null)" ]
check tf_install_pilot_pub_named grep -Eqx 'sextant-ed25519 [A-Za-z0-9+/]{43}= inst-1' "$E/pilot.key.pub"
check tf_install_stage_removed [ ! -e "$T/s1" ]
key1=$(cat "$E/pilot.key" 2>/dev/null)
stage "$T/s1" p_sh:install.sh
run_step tf_install_pilot_base_again "$T/s1" base
check tf_install_pilot_base_again_keeps_key [ "$(cat "$E/pilot.key")" = "$key1" ]
stage "$T/s2" p_sh:install.sh p_ini:pilot.ini p_env:pilot.env p_unit:sextant-pilot.service
cp "$T/s2/sextant-pilot.service" "$T/unit.want"
run_step tf_install_pilot_config "$T/s2" config
check tf_install_pilot_ini_0644 [ "$(perm "$E/pilot.ini")" = "644 root" ]
check tf_install_pilot_env_0600 [ "$(perm "$E/pilot.env")" = "600 root" ]
check tf_install_pilot_unit cmp -s "$R/etc/systemd/system/sextant-pilot.service" "$T/unit.want"
# a bad value: refused, and the installed pilot.ini stays as it was
cp "$E/pilot.ini" "$T/ini.before"
stage "$T/s3" p_sh:install.sh p_ini:pilot.ini p_env:pilot.env p_unit:sextant-pilot.service
sed -i 's/^interval = .*/interval = 6O/' "$T/s3/pilot.ini"
sh "$T/s3/install.sh" "$T/s3" config >"$T/s3.out" 2>&1
check tf_install_pilot_bad_config_refused [ $? != 0 ]
check tf_install_pilot_bad_config_named grep -q "interval.*6O" "$T/s3.out"
check tf_install_pilot_old_config_kept cmp -s "$E/pilot.ini" "$T/ini.before"

# the commander (as nobody: the commander takes only a key it owns)
stage "$T/c1" c_sh:install.sh
run_step tf_install_commander_base "$T/c1" base
check tf_install_commander_key_owner [ "$(perm "$E/commander.key")" = "600 nobody" ]
check tf_install_commander_state_dir [ "$(perm "$R/var/lib/sextant-commander")" = "700 nobody" ]
stage "$T/c2" c_sh:install.sh c_ini:commander.ini c_env:commander.env \
	c_pilots:authorized_pilots c_unit:sextant-commander.service
run_step tf_install_commander_config "$T/c2" config
check tf_install_commander_env_0600 [ "$(perm "$E/commander.env")" = "600 root" ]
check tf_install_commander_token_in_env grep -qx "SEXTANT_API_TOKEN='install-test-token-0123456789'" "$E/commander.env"
check tf_install_commander_pilots grep -qxF "$(cat "$KEYS/btc-1.key.pub")" "$E/authorized_pilots"
# authorized_pilots that do not parse: refused before anything changes
stage "$T/c3" c_sh:install.sh c_ini:commander.ini c_env:commander.env \
	c_pilots:authorized_pilots c_unit:sextant-commander.service
echo "sextant-ed25519 not-a-key bad" >>"$T/c3/authorized_pilots"
sh "$T/c3/install.sh" "$T/c3" config >"$T/c3.out" 2>&1
check tf_install_commander_bad_pilots_refused [ $? != 0 ]
check tf_install_commander_old_pilots_kept sh -c "! grep -q not-a-key '$E/authorized_pilots'"

finish
