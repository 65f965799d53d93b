#!/usr/bin/env bash
# One call on a lent GPU machine (issues 22 and 23), from the repository root:
#
#   bash benchmarks/device.sh SECONDS        # what the call may take, all included
#
# Three jobs at once, every one stopped before SECONDS:
#   deep      benchmarks/accelerator.py: chapters 06 and 07 at the accelerator profile, sized to the time left
#   fullbatch chapter 05's paper-profile full-batch run, filled into the stored paper results
#   pipeline  the book pipeline itself (papermill) executing the smoke chapters on the GPU, timed per chapter
#   estimation chapter 08's paper profile (its parts are saved as they finish; the store resumes them)
# and packs what comes back into $OUT (at most 8 files): results.tgz (the result store's new tables, no
# trained parameters), executed.tgz (the executed notebooks), logs.tgz, and sizing.json.
#
# Set-up it needs (ignored paths, carried): .whl/ (the packages the machine lacks, cp312 wheels:
# dm-haiku, jmp, mlxtend, papermill, jupytext, nbclient, ipykernel and their needs) and
# .data/fashion-mnist/ (Debian's four Fashion-MNIST IDX files). Dry run on a CPU at tiny size:
#   DRY=1 OUT=/tmp/out bash benchmarks/device.sh 300
set -u
T0=$(date +%s)
LIMIT=${1:-540}
END=$((T0 + LIMIT))
OUT=${OUT:-/tmp/device-out}
LOGS=$(mktemp -d)
mkdir -p "$OUT"
PY=${PY:-python3}
if [ -d .whl ] && [ -z "${DRY:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    >"$LOGS/pip.log" 2>&1 || { cat "$LOGS/pip.log"; exit 1; }
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD
export XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 MPLBACKEND=Agg
[ -d .data/fashion-mnist ] && export FASHION_MNIST_DIR=$PWD/.data/fashion-mnist
{ nvidia-smi -L; $PY -c "import jax; print(jax.__version__, jax.devices())"; } >"$LOGS/device.txt" 2>&1
cat "$LOGS/device.txt"

if [ -n "${DRY:-}" ]; then  # tiny sizes, one small chapter through the pipeline
  DEEP_ARGS="-p width 0.0625 -p n_train 512 -p n_test 256 -p batch_size 64 -p seeds [0] --most-epochs 2 --no-write-profile"
  CHAPTERS=${CHAPTERS:-04_toy_model}
  FULLBATCH="-p full_batch_steps 400 -p full_batch_eval_every 100"
else
  DEEP_ARGS=""
  CHAPTERS=${CHAPTERS:-}
  FULLBATCH=""
fi

if [ -n "${ONLY_06:-}" ]; then  # a second, shorter call: chapter 06 alone, every second to it
  timeout $((LIMIT - 20)) $PY benchmarks/accelerator.py --deadline $((END - 25)) --out "$LOGS" --only-06 --reserve 10 \
    >"$LOGS/deep.log" 2>&1
  echo "DEEP exit $? at $(($(date +%s) - T0)) s" | tee -a "$LOGS/exits.txt"
  tar czf "$OUT/results.tgz" --exclude='*.npz' --exclude='checkpoint.*' results/accelerator igr_core/profiles/accelerator.yml
  cp "$LOGS/sizing.json" "$OUT/" 2>/dev/null
  tar czf "$OUT/logs.tgz" -C "$LOGS" .
  tail -n 12 "$LOGS/deep.log"
  exit 0
fi
timeout $((LIMIT - 40)) $PY benchmarks/accelerator.py --deadline $((END - 50)) --out "$LOGS" $DEEP_ARGS \
  >"$LOGS/deep.log" 2>&1 &
DEEP=$!
timeout $((LIMIT - 60)) $PY -m igr_core.experiments 05_mnist --profile paper -p train_missing '"yes"' $FULLBATCH \
  >"$LOGS/fullbatch.log" 2>&1 &
FB=$!
IGR_BOOK_JOBS=${IGR_BOOK_JOBS:-4} timeout $((LIMIT - 60)) $PY -m igr_core.book execute --profile smoke --recompute \
  $CHAPTERS >"$LOGS/pipeline.log" 2>&1 &
PIPE=$!
if [ -z "${DRY:-}" ]; then  # chapter 08's paper profile (hours on 2 cores), resumed from the parts it carries
  timeout $((LIMIT - 45)) $PY -m igr_core.experiments 08_estimation --profile paper >"$LOGS/estimation.log" 2>&1 &
else
  sleep 1 &
fi
EST=$!
for job in DEEP FB PIPE EST; do
  wait "${!job}"
  echo "$job exit $? at $(($(date +%s) - T0)) s" | tee -a "$LOGS/exits.txt"
done

tar czf "$OUT/results.tgz" --exclude='*.npz' --exclude='checkpoint.*' --exclude='metrics.partial.csv' \
  $(ls -d results/accelerator results/paper/05_mnist results/paper/sweeps/mnist_full_batch \
    results/paper/sweeps/mnist_sgd results/paper/08_estimation igr_core/profiles/accelerator.yml 2>/dev/null)
tar czf "$OUT/executed.tgz" book/executed/*.ipynb _build/logs 2>/dev/null
cp "$LOGS/sizing.json" "$OUT/" 2>/dev/null
tar czf "$OUT/logs.tgz" -C "$LOGS" .
tail -n 25 "$LOGS"/*.log
echo "device.sh done in $(($(date +%s) - T0)) s"
