import { MessageBar, MessageBarBody } from "@fluentui/react-components";

/** A service's refusal or a failure, in its own words, announced to assistive technology; nothing when there is none. */
export function ErrorBar({ message, testId }: { message?: string; testId?: string }) {
  if (!message) return null;
  return (
    <MessageBar intent="error">
      <MessageBarBody role="alert" data-testid={testId}>
        {message}
      </MessageBarBody>
    </MessageBar>
  );
}
