// Exit with the command's code once it has returned (the server drained and disposed, everything durable): a foreground
// thread a plugin started would otherwise keep the process alive after Main, and `systemctl stop` would wait for SIGKILL.
Environment.Exit(await AgentCrm.Cli.AgentCrmCli.RunAsync(args));
