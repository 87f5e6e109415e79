using MarketData.Client;

// marketdata: a command-line tool over the client SDK. It prints the same JSON as the HTTP API.
return await Cli.RunAsync(args, Console.Out, Console.Error);
