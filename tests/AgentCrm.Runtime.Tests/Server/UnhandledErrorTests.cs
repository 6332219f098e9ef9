using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AgentCrm.Runtime.Tests.Server;

/// <summary>Errors the framework answers (a bug: 500 with a traceId; no route: 404) are ProblemDetails whatever the client says it accepts.</summary>
public sealed class UnhandledErrorTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("text/html")]
    [InlineData("text/html, application/xhtml+xml")]
    [InlineData("image/png")]
    [InlineData("application/json")]
    public async Task Bug_AnswersProblemDetails_WhateverTheAcceptHeader(string? accept)
    {
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddTransient<IStartupFilter, ThrowingRoute>());
        using var request = new HttpRequestMessage(HttpMethod.Get, ThrowingRoute.Path);
        if (accept is not null)
            request.Headers.Accept.ParseAdd(accept);
        using var response = await app.Client.SendAsync(request);
        var problem = await response.ProblemAsync(HttpStatusCode.InternalServerError);
        Assert.Equal(500, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        // Never the exception's text: it may carry internals.
        Assert.DoesNotContain(ThrowingRoute.Secret, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bug_AskedByABrowser_AnswersTheSameProblemAsAskedForJson()
    {
        await using var app = await AgentCrmApp.StartAsync(configure: s => s.AddTransient<IStartupFilter, ThrowingRoute>());
        async Task<JsonElement> AskAsync(string accept)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, ThrowingRoute.Path);
            request.Headers.Accept.ParseAdd(accept);
            using var response = await app.Client.SendAsync(request);
            return await response.ProblemAsync(HttpStatusCode.InternalServerError);
        }

        var json = await AskAsync("application/json");
        var html = await AskAsync("text/html");

        foreach (var field in new[] { "type", "title", "status", "detail" })
            Assert.Equal(json.GetProperty(field).ToString(), html.GetProperty(field).ToString());
        Assert.StartsWith("https://tools.ietf.org/html/rfc9110", html.GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("integrator", HttpStatusCode.Forbidden)]
    public async Task RefusedCredential_AskedByABrowser_AnswersProblemDetails(string? role, HttpStatusCode status)
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var client = await app.ClientAsync(role);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/briefs");
        request.Headers.Accept.ParseAdd("text/html");
        using var response = await client.SendAsync(request);
        await response.ProblemAsync(status);
    }

    [Fact]
    public async Task MissingRoute_AskedByABrowser_AnswersProblemDetails()
    {
        await using var app = await AgentCrmApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/no-such-resource");
        request.Headers.Accept.ParseAdd("text/html, application/xhtml+xml");
        using var response = await app.Client.SendAsync(request);
        var problem = await response.ProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("/openapi/v1.json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A path no endpoint serves whose request fails inside the pipeline, as a bug would.</summary>
    private sealed class ThrowingRoute : IStartupFilter
    {
        public const string Path = "/test/throws";
        public const string Secret = "/internal/path/of/the/bug";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
                context.Request.Path == Path ? throw new InvalidOperationException(Secret) : nextMiddleware(context));
        };
    }
}
