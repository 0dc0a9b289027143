module github.com/kpaudit/kpaudit/go

go 1.24
