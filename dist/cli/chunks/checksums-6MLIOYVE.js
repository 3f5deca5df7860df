import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-VVXH5LMO.js";import"./chunk-XTUIZPUZ.js";export{a as DEFAULT_TRIVY_VERSION,b as TRIVY_CHECKSUMS,d as assetName,c as pinnedVersions};
