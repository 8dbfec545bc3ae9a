module agent-storage.local/images

go 1.22
