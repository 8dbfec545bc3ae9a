module agent-storage/workload

go 1.22
