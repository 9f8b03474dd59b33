using Sightline.Text.Tests.Loopback;

// Usage: LoopbackServer LATENCY_MS — prints the endpoint on the first line, serves until stdin closes.
int latency = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 0;
using var server = new LoopbackOpenAiServer { Latency = TimeSpan.FromMilliseconds(latency) };
// A deterministic "model": the reply repeats the request's words in reverse order (so TF-IDF similarities vary).
server.Model = (m, _) => string.Join(' ', m[^1].Content.Split(' ').Reverse());
Console.WriteLine(server.Endpoint);
Console.Out.Flush();
Console.In.ReadToEnd();
Console.Error.WriteLine($"served {server.ChatRequests.Count} chat requests");
