namespace Sightline.Text.Llm;

/// <summary>
/// How to reach an OpenAI-compatible chat API (llama.cpp server, vLLM, Ollama, OpenAI) and how to call it (spec §5).
/// </summary>
public sealed record ChatSettings
{
    /// <summary>Base URL of the API, e.g. <c>http://127.0.0.1:8080/v1</c> (requests go to <c>{URL}/chat/completions</c>).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Model name sent with each request.</summary>
    public required string Model { get; init; }

    /// <summary>Sampling temperature (SemeX 1.0, TokenSHAP 0.5).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>System message, or null for one user message only (TokenSHAP). SemeX: "You are a helpful assistant".</summary>
    public string? SystemMessage { get; init; }

    /// <summary>The user message; <c>{text}</c> is replaced by the input (spec §5 wrappings).</summary>
    public string Template { get; init; } = "{text}";

    /// <summary>Largest number of requests in flight at once (the coalitions of a prompt are sent concurrently).</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>Client-side rate limit in requests per minute (0 = none; the SemeX reference uses 100).</summary>
    public double RequestsPerMinute { get; init; }

    /// <summary>Retries on HTTP 429 and 5xx (the reference: 10).</summary>
    public int MaxRetries { get; init; } = 10;

    /// <summary>Backoff base b: retry k waits b·2ᵏ + U(0, b/2) (the reference: 1 s·2ᵏ + U(0, 0.5 s)).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest reply length in tokens, or null for the server's default (the reference sets none).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>API key (read by the caller from the environment variable named by <c>--llm-key-env</c>), or null.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Time allowed for one request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The messages for one input, as (role, content) pairs.</summary>
    public (string Role, string Content)[] Messages(string input)
    {
        var user = Template.Replace("{text}", input, StringComparison.Ordinal);
        return SystemMessage is null ? [("user", user)] : [("system", SystemMessage), ("user", user)];
    }
}

/// <summary>The input wrappings of spec §5.</summary>
public static class PromptTemplates
{
    /// <summary>SemeX's system message.</summary>
    public const string SemexSystem = "You are a helpful assistant";

    /// <summary>SST-2 (and Sp1786 in the port): the sentiment question.</summary>
    public const string Sentiment = "Determine the sentiment of the following sentence: {text}. Your response must be either \"positive\" or \"negative\".";

    /// <summary>Alpaca, GenderBias, SALAD over an API.</summary>
    public const string Instruction = "Given the following instruction, provide an answer as direct advice. Do not use bullet points.\nInstruction: \"{text}\"\nResponse:";

    /// <summary>The template for a <c>--template</c> name: none (the input as is), sentiment, instruction, or a custom string containing {text}.</summary>
    public static string Resolve(string name) => name switch
    {
        "none" => "{text}",
        "sentiment" => Sentiment,
        "instruction" => Instruction,
        _ when name.Contains("{text}", StringComparison.Ordinal) => name,
        _ => throw new InputDataException($"--template '{name}': give none, sentiment, instruction, or a template containing {{text}}."),
    };
}
