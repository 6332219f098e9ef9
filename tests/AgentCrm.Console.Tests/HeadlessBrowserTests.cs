using Microsoft.Playwright;

namespace AgentCrm.Console.Tests;

/// <summary>A test class that drives Debian's chromium, headless, through Playwright: one browser per class instance.</summary>
public abstract class HeadlessBrowserTests : IAsyncLifetime
{
    private IPlaywright _playwright = null!;

    protected IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium.Path, Headless = true });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}
