module cloudsignal/bench/loadgen

go 1.19
