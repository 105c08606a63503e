#!/usr/bin/env bash
# Submits the CAM array and its gather job, chained: the gather runs once every task ended (afterany: also after a
# cancelled or failed task, so it can list what is missing). Run it again after a lost node: finished overlays are
# skipped and only what is missing is computed.
#   IMAGES=/shared/photos OUT=/shared/cam ./examples/slurm/submit.sh 8    # 8 tasks
set -euo pipefail
here=$(dirname "$(realpath "$0")")
tasks=${1:-4}
array=$(sbatch --parsable --array=0-$((tasks - 1)) "$here/cam-array.sbatch")
gather=$(sbatch --parsable --dependency=afterany:"$array" --export=ALL,HEATMAPTOOLS_EXAMPLES="$(dirname "$here")" "$here/gather.sbatch")
echo "array job $array ($tasks tasks), gather job $gather"
