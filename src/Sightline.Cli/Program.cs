namespace Sightline.Cli;

internal static class Program
{
    private static int Main(string[] args) => CliApp.RunOnConsole(args);
}
