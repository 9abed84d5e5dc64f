module github.com/hmpsh/hmpsh

go 1.26.8

require github.com/mattn/go-shellwords v1.0.16 // indirect
