# sgd-vs-adam.gp: chapter 4's figure, docs/img/sgd-vs-adam.svg: the loss per epoch of stage 4's
# network trained with Adam (its default) and with SGD (--optim sgd), from the program's own
# losses (docs/img/losses/stage4.csv and stage4-sgd.csv, written by tools/docs.py --write).
# gnuplot -e "adam='A.csv'; sgd='S.csv'; out='x.svg'" docs/img/sgd-vs-adam.gp
set datafile separator comma
set terminal svg size 640,380 font 'sans-serif,12' background '#ffffff'
set output out
set border 3 lc rgb '#59636e'
set tics nomirror tc rgb '#1f2328'
set grid lc rgb '#d1d9e0'
set logscale y
set key top right tc rgb '#1f2328'
set title 'Stage 4: the same network, data and starting weights' tc rgb '#1f2328'
set xlabel 'epoch' tc rgb '#59636e'
set ylabel 'loss (sum of squared errors, log scale)' tc rgb '#59636e'
plot sgd using 1:2 skip 1 with lines lw 2 lc rgb '#8c959f' title 'SGD, lr = 1e-4', \
     adam using 1:2 skip 1 with lines lw 2 lc rgb '#0b5cad' title 'Adam, lr = 0.08'
