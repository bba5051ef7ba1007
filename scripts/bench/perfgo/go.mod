module perfgo

go 1.19
