using Microsoft.OpenApi;

namespace CornerNet.Serving;

/// <summary>Writes the server's API key into its OpenAPI document: a bearer security scheme, required by the
/// endpoints that check it.</summary>
internal static class OpenApiSecurity
{
    internal const string SchemeName = "apiKey";

    /// <summary>Adds the scheme and the requirements to <paramref name="document"/> when
    /// <paramref name="options"/> has a key; an open server's document stays without them.</summary>
    internal static void Describe(OpenApiDocument document, ServerOptions options)
    {
        if (options.ApiKey is null) return;
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The server's API key (cornernet serve --api-key-file FILE, or CORNERNET_API_KEY), sent as "
                + "'Authorization: Bearer KEY'. Missing or wrong: 401 with a JSON error.",
        };
        var requirement = new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(SchemeName, document)] = [],
        };
        foreach (var (path, item) in document.Paths)
        {
            if (item.Operations is null || (path != "/v1/detect" && !(options.ProtectMetrics && path == "/metrics")))
                continue;
            foreach (var operation in item.Operations.Values)
            {
                operation.Security ??= [];
                operation.Security.Add(requirement);
            }
        }
    }
}
