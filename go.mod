module github.com/hmpsh/hmpsh

go 1.26.8
