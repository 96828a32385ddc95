import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import { createRoot } from "react-dom/client";
import { App } from "./app";
import { signIn } from "./auth";

const root = createRoot(document.getElementById("root")!);
// In MSAL's hidden iframe (a silent sign-in) the page only carries the answer back in its URL: nothing runs here.
if (window.self === window.top) start();

function start() {
signIn()
  .then((account) => {
    if (!account) return;
    root.render(
      <FluentProvider theme={webLightTheme}>
        <App account={account} />
      </FluentProvider>,
    );
  })
  .catch((error: unknown) => {
    root.render(
      <FluentProvider theme={webLightTheme}>
        <main>
          <h1>Sign-in failed</h1>
          <p role="alert">{error instanceof Error ? error.message : String(error)}</p>
        </main>
      </FluentProvider>,
    );
  });
}
