import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d,e,f}from"./chunk-EVBOANMA.js";import"./chunk-XTUIZPUZ.js";export{d as MISSING_ID_TOKEN,a as OIDC_AUDIENCE,b as OidcError,e as decodeJwtClaims,c as hasOidc,f as requestGitHubIdToken};
