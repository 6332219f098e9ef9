return await AgentCrm.Cli.AgentCrmCli.RunAsync(args);
