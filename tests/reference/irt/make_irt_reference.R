# Reference fixtures for measurand's IRT tests (run: Rscript make_irt_reference.R in this folder).
# R 4.2 with psych / psychTools from Debian (r-cran-psych, r-cran-psychtools). ltm and mirt are not
# packaged for this R, so the 2PL marginal ML reference is computed here independently: the
# marginal likelihood with Gauss-Hermite quadrature (nodes by Golub-Welsch), maximised by optim
# (BFGS, reltol 1e-14) from two starts, SEs from optimHess (observed information).
suppressMessages({library(psych); library(psychTools)})
data(bock)       # psych: lsat6, lsat7 (1000 x 5 each), bock.table (patterns + counts)
data(ability)    # psychTools: 1525 x 16, with missing cells
write.csv(lsat6, "lsat6.csv", row.names = FALSE)
write.csv(lsat7, "lsat7.csv", row.names = FALSE)
ab <- data.frame(id = rownames(ability), ability, check.names = FALSE)
write.csv(ab, "ability.csv", row.names = FALSE, na = "")

gh <- function(q) {  # probabilists' Gauss-Hermite: nodes, weights summing to 1 (N(0,1))
  J <- matrix(0, q, q); for (i in 1:(q - 1)) J[i, i + 1] <- J[i + 1, i] <- sqrt(i)
  e <- eigen(J, symmetric = TRUE)
  list(x = e$values, w = e$vectors[1, ]^2)
}
Q <- gh(61)
negll <- function(par, Y) {  # par = (a_1..a_p, d_1..d_p); P = plogis(a theta + d)
  p <- ncol(Y); a <- par[1:p]; d <- par[(p + 1):(2 * p)]
  eta <- outer(Q$x, a) + matrix(d, length(Q$x), p, byrow = TRUE)   # q x p
  lp <- plogis(eta, log.p = TRUE); lq <- plogis(-eta, log.p = TRUE)
  M <- !is.na(Y); Y0 <- Y; Y0[!M] <- 0
  L <- Y0 %*% t(lp) + (M - Y0) %*% t(lq)                              # n x q
  mx <- apply(L, 1, max)
  -sum(mx + log(exp(L - mx) %*% Q$w))
}
fit2pl <- function(Y) {
  Y <- as.matrix(Y); p <- ncol(Y)
  m <- colMeans(Y, na.rm = TRUE)
  best <- NULL
  for (a0 in c(1, 0.5)) {
    o <- optim(c(rep(a0, p), qlogis(m)), negll, Y = Y, method = "BFGS",
               control = list(reltol = 1e-14, maxit = 5000))
    if (is.null(best) || o$value < best$value) best <- o
  }
  H <- optimHess(best$par, negll, Y = Y)
  list(par = best$par, loglik = -best$value, se = sqrt(diag(solve(H))), p = p)
}
out <- list()
for (nm in c("lsat6", "lsat7", "ability")) {
  Y <- switch(nm, lsat6 = lsat6, lsat7 = lsat7, ability = ability)
  f <- fit2pl(Y); p <- f$p
  a <- f$par[1:p]; d <- f$par[(p + 1):(2 * p)]
  out[[nm]] <- data.frame(dataset = nm, item = colnames(Y), a = a, d = d,
                          se_a = f$se[1:p], se_d = f$se[(p + 1):(2 * p)],
                          difficulty = -d / a, loglik = f$loglik)
  cat(sprintf("%s: loglik %.6f\n", nm, f$loglik))
}
res <- do.call(rbind, out)
write.csv(res, "irt_2pl_reference.csv", row.names = FALSE)
print(res, digits = 7)
cat("R", R.version.string, "psych", as.character(packageVersion("psych")), "\n")
