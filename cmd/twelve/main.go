// Command twelve is the one binary of the Twelve course: `twelve web` serves
// it, `twelve worker` works the background jobs (grades sent to LMSs),
// `twelve migrate` brings the schema up to date (Heroku's release phase)
// and `twelve admin …` holds the one-off admin processes.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// revision is set by the linker where the build has no VCS information
// (Heroku's Go buildpack: GO_LINKER_SYMBOL=main.revision).
var revision string

func main() {
	// SIGTERM and SIGINT start a graceful stop; the handler stays installed so a
	// second SIGTERM (Heroku may send two) cannot kill the drain.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "twelve: %v\n", err)
		stop()
		os.Exit(1)
	}
}

const usage = `usage: twelve <command> [flags]

commands:
  web       serve the course over HTTP on $PORT
  worker    work the background jobs (grades sent to LMSs) until SIGTERM
  migrate   apply pending database migrations (Heroku's release phase)
  admin     one-off admin processes; "twelve admin help" lists them
`

// run picks the subcommand. It never exits the process itself.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "web":
		return runWeb(ctx, args[1:], getenv, stdout)
	case "worker":
		return runWorker(ctx, args[1:], getenv, stdout)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout)
	case "admin":
		return runAdmin(ctx, args[1:], getenv, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stdout, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
