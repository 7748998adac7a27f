#!/bin/sh
# One node with OpenSSH through the bastion (ProxyJump), for `xargs -P`. Args: NAME HOST PORT.
# Env: CFG (ssh_config), JUMP (host:port), SCRIPT, SIZE (bytes), OUT (folder).
name=$1 host=$2 port=$3
f=".gpufleet/bench-$name.sh"
exec ssh -F "$CFG" -J "$JUMP" -p "$port" "$host" \
  "umask 077 && mkdir -p .gpufleet && cat > $f.tmp && [ \"\$(wc -c < $f.tmp)\" -eq $SIZE ] && chmod 700 $f.tmp && mv -f $f.tmp $f && ./$f; rc=\$?; rm -f $f; exit \$rc" \
  < "$SCRIPT" > "$OUT/$name.out" 2>"$OUT/$name.err"
