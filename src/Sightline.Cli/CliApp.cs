namespace Sightline.Cli;

/// <summary>Entry point shared by <c>Main</c> and the CLI tests (console passed in).</summary>
public static class CliApp
{
    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        stdout.WriteLine("sightline: under construction");
        return 0;
    }
}
