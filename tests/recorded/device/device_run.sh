#!/bin/bash
# The device run: idle facts + node checker + bootstrap --check, then the same under GPU load.
# Render first, here (the device has none of gpufleet's dependencies):
#   gpufleet render --stack-config tests/recorded/device/Pulumi.h200-vm.yaml --out .device-run/render
# then on the device, from the repository root, with .device-run carried: bash tests/recorded/device/device_run.sh
set -o pipefail
M="a lent single-GPU cloud VM (gpufleet device tool, Firecracker)"
mkdir -p /tmp/rec
python3 tests/recorded/device/record_node.py /tmp/rec/idle --machine "$M" \
  --bootstrap-check .device-run/render/h200/bootstrap.sh 2>&1 | tee "$OUT/idle.log"
python3 tests/recorded/device/record_node.py /tmp/rec/loaded --machine "$M" --under-load 120 \
  2>&1 | tee "$OUT/loaded.log"
for c in 'nvidia-smi -L' 'cat /proc/driver/nvidia/version' 'nvidia-smi topo -m' \
  'cat /etc/os-release' 'uname -a' \
  'command -v all_reduce_perf mpirun ibv_devinfo ibdev2netdev dmesg findmnt ip ifconfig wpa_cli curl' \
  'python3 --version' 'python3 -c "import torch; print(torch.__version__, torch.cuda.nccl.version())"'; do
  echo "### $c"; sh -c "$c" 2>&1
done >/tmp/rec/context.txt
tar -C /tmp -czf "$OUT/rec.tar.gz" rec
