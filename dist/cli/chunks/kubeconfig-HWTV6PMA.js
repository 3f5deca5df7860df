import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a,b,c,d}from"./chunk-JGVPSEXR.js";import"./chunk-PATETNWK.js";import"./chunk-5V6A2K7X.js";import"./chunk-QVYXNAN3.js";import"./chunk-XTUIZPUZ.js";export{c as contextNamespaceOf,a as kubeconfigSecrets,b as readKubeconfig,d as writeKubeconfig};
