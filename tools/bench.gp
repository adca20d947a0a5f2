# tools/bench.gp: the charts of ./course bench (tools/bench.py), from its CSVs.
#   gnuplot -e "dir='build/bench'; threads='1 2'; with_torch=1" tools/bench.gp
# mm.png: GFLOPS of n x n x n products by size, ctorch and PyTorch (OpenBLAS), per thread count.
# epochs.png: the time of one epoch of each stage, ctorch and PyTorch, at each size.
set datafile separator ","
set terminal pngcairo size 900,560 font ",10" noenhanced
set key top left
set grid

set output dir."/mm.png"
set title "Matrix products n x n x n (higher is better)"
set xlabel "n"
set ylabel "GFLOPS"
set logscale x 2
set xtics (64, 128, 256, 512, 1024, 2048)
if (!exists("threads")) threads = "1"
plot for [t in threads] \
       dir."/mm.csv" using ($2 == t+0 ? $1 : 1/0):4 skip 1 with linespoints lw 2 \
       title "ctorch, ".t." thread(s)", \
     for [t in threads] \
       dir."/mm.csv" using ($2 == t+0 ? $1 : 1/0):5 skip 1 with linespoints lw 2 dt 2 \
       title "PyTorch, ".t." thread(s)"
unset logscale x
unset xtics
set xtics

set output dir."/epochs.png"
set title "One epoch of each stage's loop (lower is better; log scale)"
set ylabel "seconds per epoch"
set xlabel ""
set logscale y
set format y "%.0s %cs"
set bmargin 7
set rmargin 8
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30
if (!exists("with_torch")) with_torch = 1
if (with_torch) {
  plot dir."/epochs.csv" using 7:xtic(sprintf("%s %s thr stage %s", strcol(1), strcol(6), \
         strcol(2))) skip 1 title "ctorch", \
       "" using 8 skip 1 title "PyTorch"
} else {
  plot dir."/epochs.csv" using 7:xtic(sprintf("%s %s thr stage %s", strcol(1), strcol(6), \
         strcol(2))) skip 1 title "ctorch"
}
