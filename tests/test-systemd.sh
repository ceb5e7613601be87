#!/bin/sh
# The systemd units: `systemd-analyze verify` accepts them (when the tool is
# installed), `make install` substitutes the binary path, and the timer
# fires outside US business hours.
. "$(dirname "$0")/lib.sh"
DEST=$SCRATCH/root
make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX=/usr/local >/dev/null 2>"$SCRATCH/err"
check "make install succeeds" test $? -eq 0
UNITS=$DEST/usr/local/lib/systemd/system
check "binary installed" test -x "$DEST/usr/local/bin/litmine"
check "example config installed" test -s "$DEST/etc/litmine/litmine.conf.example"
check "unit points at the installed binary" grep -q '^ExecStart=/usr/local/bin/litmine ' "$UNITS/litmine.service"
check "service is hardened" sh -c 'for k in DynamicUser=yes StateDirectory=litmine ProtectSystem=strict \
    ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes ReadWritePaths=/var/lib/litmine \
    IOSchedulingClass=idle Type=oneshot; do grep -q "^$k" "$1" || exit 1; done' _ "$UNITS/litmine.service"
check "timer is persistent with a randomized delay" sh -c 'grep -q "^Persistent=true" "$1" && grep -q "^RandomizedDelaySec=" "$1"' _ "$UNITS/litmine.timer"
check "timer fires between 21:00 and 05:00 US Eastern" sh -c '
    line=$(grep "^OnCalendar=" "$1"); case "$line" in *America/New_York*) ;; *) exit 1;; esac
    hour=$(echo "$line" | sed -E "s/.* ([0-9]{2}):[0-9]{2}:[0-9]{2}.*/\1/")
    [ "$hour" -lt 5 ] || [ "$hour" -ge 21 ]' _ "$UNITS/litmine.timer"
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify needs ExecStart's binary to exist: point it at the build.
    mkdir -p "$SCRATCH/units"
    sed "s|^ExecStart=/usr/local/bin/litmine|ExecStart=$LITMINE|" "$UNITS/litmine.service" >"$SCRATCH/units/litmine.service"
    cp "$UNITS/litmine.timer" "$SCRATCH/units/"
    (cd "$SCRATCH/units" && systemd-analyze verify litmine.service litmine.timer) >"$SCRATCH/out" 2>&1
    check "systemd-analyze verify passes" sh -c '[ $1 -eq 0 ] || { cat "$2" >&2; exit 1; }' _ $? "$SCRATCH/out"
else
    skip "systemd-analyze verify" "systemd-analyze not installed"
fi
finish
