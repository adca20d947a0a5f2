# losses.gp: every stage's loss curve in one chart.
# gnuplot -e "runs='build/runs'; stages='1 2 3 4'" tools/losses.gp
# Writes runs/losses.png and prints a text chart to the terminal. Optional: optim4='sgd' and
# reduction4='mean' name stage 4's curve after the flags it ran with (default adam, sum).
if (!exists("runs")) runs = 'build/runs'
if (!exists("stages")) stages = '1 2 3 4'
if (!exists("optim4")) optim4 = 'adam'
if (!exists("reduction4")) reduction4 = 'sum'
stage4 = 'stage 4: loss + '.(optim4 eq 'sgd' ? 'SGD' : 'Adam'). \
         (reduction4 eq 'mean' ? ' (mean squared error)' : '')
title(k) = k == 1 ? 'stage 1: tensors (hand-written gradients)' : \
           k == 2 ? 'stage 2: autograd' : \
           k == 3 ? 'stage 3: modules' : stage4
file(k) = sprintf('%s/stage%d.csv', runs, k)

set datafile separator comma
set key top right
set logscale y
set grid
set title 'Training loss, one curve per chapter'
set xlabel 'epoch'
set ylabel 'loss (sum of squared errors, log scale)'
# Stages 1 and 2 (and 3 and 4 with SGD) give identical curves: the first of a pair is drawn
# wide and pale, the second dashed on top, so both stay visible.
set style line 1 lw 6 lc rgb '#a6cee3'
set style line 2 lw 2 lc rgb '#1f78b4' dt 2
set style line 3 lw 2 lc rgb '#33a02c'
set style line 4 lw 2 lc rgb '#e31a1c'
set terminal pngcairo size 900,540 enhanced font 'DejaVu Sans,10'
set output runs.'/losses.png'
plot for [k in stages] file(int(k)) using 1:2 skip 1 with lines ls int(k) title title(int(k))

set terminal dumb size 100,28
set output
set title 'Training loss, one curve per stage'
set ylabel 'loss (log)' norotate
set lmargin 16
plot for [k in stages] file(int(k)) using 1:2 skip 1 with lines \
     title (int(k) == 4 ? 'stage 4 '.optim4 : 'stage '.k)
