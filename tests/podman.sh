# podman.sh: a real Docker-compatible engine for a test (podman's service,
# recipe in shared/reference/peers.md), sourced after tests/lib.sh with
# TEST set to the test's name.  It installs podman if missing (or SKIPs
# the test when it cannot), keeps all podman state in $T, starts the
# service on $SOCK (its PID in $SVC_PID) and imports
# localhost/sxt-simnode:latest: busybox plus the static simnode at
# /simnode.  Its EXIT trap removes the containers and stops the service
# before lib.sh's cleanup.

SVC_PID=""
pod_cleanup() {
	if [ -n "$SVC_PID" ]; then
		podman rm -af -t 2 >/dev/null 2>&1
		kill "$SVC_PID" 2>/dev/null
		i=0
		while kill -0 "$SVC_PID" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
	fi
	# a container's shm mount left behind would keep rm -rf from $T
	awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
}
trap 'pod_cleanup; cleanup' EXIT

need_install=""
command -v podman >/dev/null 2>&1 || need_install=1
command -v runc >/dev/null 2>&1 || need_install=1
dpkg-query -W -f '${Status}' busybox-static 2>/dev/null |
	grep -q 'install ok installed' || need_install=1
if [ -n "$need_install" ]; then
	echo "installing podman busybox-static runc"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y podman busybox-static runc >"$T/apt.log" 2>&1; then
		apt-get update >>"$T/apt.log" 2>&1
		if ! apt-get install -y podman busybox-static runc \
			>>"$T/apt.log" 2>&1; then
			tail -n 5 "$T/apt.log"
			echo "SKIP $TEST: cannot install podman"
			exit 0
		fi
	fi
fi
[ -x "$B/simnode-static" ] || { fail "simnode-static" "not built"; finish; }

# Everything podman keeps lives in $T: storage, state, events.
cat >"$T/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "$T/run"
graphroot = "$T/graph"
EOF
cat >"$T/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/tmp"
EOF
export CONTAINERS_STORAGE_CONF="$T/storage.conf"
export CONTAINERS_CONF="$T/containers.conf"
SOCK="$T/podman.sock"

spawn podman podman system service --time=0 "unix://$SOCK"
SVC_PID=$LASTPID
if ! wait_for 20 curl -sf --unix-socket "$SOCK" http://d/_ping; then
	fail "podman service" "no answer on $SOCK"
	tail -n 20 "$T/podman.log"
	finish
fi

# the image: busybox and the static simnode
mkdir -p "$T/rootfs/bin"
cp /bin/busybox "$T/rootfs/bin/busybox"
ln -s busybox "$T/rootfs/bin/sh"
cp "$B/simnode-static" "$T/rootfs/simnode"
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .
if ! podman import "$T/rootfs.tar" localhost/sxt-simnode:latest \
	>"$T/import.log" 2>&1; then
	fail "podman import" "$(tail -n 3 "$T/import.log")"
	finish
fi
